// The pipeline worker thread's composition root, as server.ts is the HTTP thread's: the
// pipeline (a low module) runs the processors' loops, and this names the realtime processor
// of the segments capability, which the pipeline may not import.
import { runPipelineWorker } from './pipeline/worker.ts';
import { segmentsProcessor } from './segments/index.ts';

runPipelineWorker(segmentsProcessor);
