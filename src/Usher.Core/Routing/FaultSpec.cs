namespace Usher.Core.Routing;

/// <summary>
/// Faults injected into one variant's traffic for a rehearsal (Istio's fault injection): a share of
/// requests is delayed, a share is aborted with a status. Off unless an operator sets it.
/// </summary>
/// <param name="AbortFraction">Share of requests answered with <paramref name="AbortStatus"/> without running, 0 to 1.</param>
/// <param name="AbortStatus">The HTTP status of an aborted request (400 to 599; default 503).</param>
/// <param name="DelayMs">Delay added to a delayed request, in milliseconds.</param>
/// <param name="DelayFraction">Share of requests delayed, 0 to 1.</param>
internal sealed record FaultSpec(double AbortFraction = 0, int AbortStatus = 503, double DelayMs = 0, double DelayFraction = 0)
{
    /// <summary>Every problem with the spec (empty when it is valid).</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (double.IsNaN(AbortFraction) || AbortFraction is < 0 or > 1)
        {
            problems.Add($"abort fraction {AbortFraction} is outside 0..1");
        }

        if (AbortStatus is < 400 or > 599)
        {
            problems.Add($"abort status {AbortStatus} is not an error status (expected 400..599)");
        }

        if (double.IsNaN(DelayMs) || DelayMs is < 0 or > 60_000)
        {
            problems.Add($"delay {DelayMs} ms is outside 0..60000");
        }

        if (double.IsNaN(DelayFraction) || DelayFraction is < 0 or > 1)
        {
            problems.Add($"delay fraction {DelayFraction} is outside 0..1");
        }

        if (DelayFraction > 0 && DelayMs <= 0)
        {
            problems.Add("a delay fraction needs a delay in milliseconds");
        }

        if (AbortFraction == 0 && DelayFraction == 0)
        {
            problems.Add("the fault does nothing: set an abort fraction or a delay (or clear the fault)");
        }

        return problems;
    }
}
