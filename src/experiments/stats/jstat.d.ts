// The slice of jstat (distributions) the statistics use; the package ships no types.
declare module 'jstat' {
  interface JStat {
    studentt: { cdf(x: number, dof: number): number; inv(p: number, dof: number): number };
    normal: {
      cdf(x: number, mean: number, sd: number): number;
      pdf(x: number, mean: number, sd: number): number;
      inv(p: number, mean: number, sd: number): number;
    };
    chisquare: { cdf(x: number, dof: number): number };
    beta: {
      sample(alpha: number, beta: number): number;
      inv(p: number, alpha: number, beta: number): number;
    };
  }
  const jStat: JStat;
  export default jStat;
}
