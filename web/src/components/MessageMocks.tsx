// How a rendered message will look where it lands: an email (subject, text, the HTML in a
// sandboxed frame), an SMS on a phone with its encoding and segment count, a push notification
// on a lock screen. Drawn from the server's rendering, never rendered here.
import type { RenderedMessage } from '../templates-api.ts';

interface SmsFacts {
  encoding: 'GSM-7' | 'UCS-2';
  segments: number;
  characters: number;
  unicodeCharacters: string[];
}

/** "1 segment, GSM-7 (160 characters fit one)", with the characters that forced UCS-2. */
export function SmsFactsLine(props: { facts: SmsFacts; testId?: string }) {
  const { facts } = props;
  const perSegment =
    facts.encoding === 'GSM-7'
      ? '160 characters fit one, 153 each once split'
      : '70 characters fit one, 67 each once split';
  return (
    <p className="small" data-testid={props.testId}>
      <strong>
        {facts.segments} {facts.segments === 1 ? 'segment' : 'segments'}
      </strong>
      , {facts.characters} characters, {facts.encoding} ({perSegment})
      {facts.unicodeCharacters.length > 0 ? (
        <>
          {' '}
          — {facts.unicodeCharacters.map((c) => `“${c}”`).join(' ')}{' '}
          {facts.unicodeCharacters.length === 1 ? 'is' : 'are'} not in the GSM alphabet, so the whole message
          goes as UCS-2
        </>
      ) : null}
    </p>
  );
}

export function RenderedMock(props: { rendered: RenderedMessage }) {
  const { rendered } = props;
  if (rendered.channel === 'sms')
    return (
      <div data-testid="template-preview">
        <figure className="phone-mock" aria-label="SMS as it will show on a phone">
          <div className="sms-bubble" data-testid="preview-sms">
            {rendered.body}
          </div>
        </figure>
        {rendered.sms ? <SmsFactsLine facts={rendered.sms} testId="preview-segments" /> : null}
      </div>
    );
  if (rendered.channel === 'push')
    return (
      <div data-testid="template-preview">
        <figure className="phone-mock" aria-label="Push notification as it will show on a phone">
          <div className="push-card">
            <strong data-testid="preview-push-title">{rendered.title}</strong>
            <span data-testid="preview-push-body">{rendered.body}</span>
          </div>
        </figure>
        <p className="small">
          A tap opens{' '}
          <code data-testid="preview-deep-link">{rendered.deepLink ?? '(the app, no deep link)'}</code>
        </p>
      </div>
    );
  return (
    <div data-testid="template-preview">
      <p>
        <strong>Subject:</strong> <span data-testid="preview-subject">{rendered.subject ?? '(none)'}</span>
      </p>
      <pre data-testid="preview-text">{rendered.text}</pre>
      {rendered.html ? (
        <iframe
          title="HTML preview"
          sandbox=""
          srcDoc={rendered.html}
          style={{ width: '100%', height: '24rem', border: '1px solid #ddd' }}
        />
      ) : null}
    </div>
  );
}
