namespace Usher.Cli.Optimize;

/// <summary>The outcome of <see cref="DistillJob.RunAsync"/>.</summary>
/// <param name="Record">The report; null when nothing was trained.</param>
/// <param name="Written">Whether the new version was written (the caller's acceptance said so).</param>
/// <param name="Problems">Why nothing was trained, each naming what was expected.</param>
internal sealed record DistillResult(DistillationRecord? Record, bool Written, IReadOnlyList<string> Problems);
