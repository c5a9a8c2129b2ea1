using System.Collections.Concurrent;
using System.Diagnostics;
using Usher.Core.Telemetry;

namespace Usher.Core.Tests.Telemetry;

/// <summary>
/// Listens to Usher's spans and keeps those of the traces it started (<see cref="StartRequest"/>),
/// so that spans of other code running meanwhile are neither recorded nor built.
/// </summary>
internal sealed class SpanRecorder : IDisposable
{
    private readonly ConcurrentDictionary<ActivityTraceId, bool> _traces = new();
    private readonly ConcurrentQueue<Activity> _stopped = new();
    private readonly ActivityListener _listener;

    public SpanRecorder()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == UsherActivities.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> o) =>
                _traces.ContainsKey(o.Parent.TraceId) ? ActivitySamplingResult.AllDataAndRecorded : ActivitySamplingResult.None,
            ActivityStopped = a => _stopped.Enqueue(a),
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>The spans stopped so far.</summary>
    public IReadOnlyList<Activity> Spans => [.. _stopped];

    /// <summary>Starts a request's span (as a frontend would), current until disposed.</summary>
    public Activity StartRequest(string name)
    {
        var span = new Activity(name).SetIdFormat(ActivityIdFormat.W3C).Start();
        _traces[span.TraceId] = true;
        return span;
    }

    public void Dispose() => _listener.Dispose();
}
