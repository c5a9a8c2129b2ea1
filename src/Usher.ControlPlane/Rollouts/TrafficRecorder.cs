using System.Collections.Concurrent;
using Usher.ControlPlane.Analysis;
using Usher.Core.Inference;
using Usher.Core.Routing;
using Usher.Core.Tensors;

namespace Usher.ControlPlane.Rollouts;

/// <summary>
/// Records what the analysis needs from routed traffic: per endpoint under analysis, per variant,
/// the request and error counts and per-request samples (latency, predictions) since the window
/// started, bounded; and for every endpoint the last requests served, copied, for blue-green
/// agreement checks. Both variants of a window are recorded over the same time span.
/// </summary>
public sealed class TrafficRecorder : IRouteObserver
{
    /// <summary>Per-request samples kept per variant and window (counts keep going past it).</summary>
    public const int MaxSamples = 20_000;

    /// <summary>Recent requests kept per endpoint for replays.</summary>
    public const int RecentRequests = 64;

    /// <summary>Recent outcomes kept per variant of every endpoint: a blue-green switch's baseline.</summary>
    public const int RecentOutcomes = 1_000;

    private readonly ConcurrentDictionary<string, Window> _windows = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Queue<Outcome>> _outcomes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, RecentRing> _recent = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public bool IsObserving(string endpoint) => true;

    /// <summary>Starts (or restarts) the analysis window of <paramref name="endpoint"/> at <paramref name="start"/>, dropping older samples.</summary>
    /// <param name="endpoint">The endpoint.</param>
    /// <param name="start">Samples from here on count.</param>
    /// <param name="baseline">What the new version is judged against when no other version serves beside it (blue-green).</param>
    public void StartWindow(string endpoint, DateTimeOffset start, VariantSample? baseline = null) => _windows[endpoint] = new Window(start, baseline);

    /// <summary>The baseline the window was started with (empty when none).</summary>
    public VariantSample Baseline(string endpoint)
        => _windows.TryGetValue(endpoint, out var w) && w.Baseline is { } b ? b : new VariantSample(0, 0, [], [], []);

    /// <summary>The last outcomes of one variant of an endpoint (up to <see cref="RecentOutcomes"/>), whatever the window.</summary>
    public VariantSample Recent(string endpoint, string variant)
    {
        if (!_outcomes.TryGetValue(endpoint + "|" + variant, out var queue))
        {
            return new VariantSample(0, 0, [], [], []);
        }

        Outcome[] outcomes;
        lock (queue)
        {
            outcomes = [.. queue];
        }

        var scores = new List<double>();
        var labels = new List<string>();
        foreach (var outcome in outcomes.Where(o => o.Outputs is not null))
        {
            var predictions = PredictionExtractor.Extract(outcome.Outputs!);
            scores.AddRange(predictions.Scores);
            labels.AddRange(predictions.Labels);
        }

        return new VariantSample(outcomes.Length, outcomes.Count(o => o.Failed), [.. outcomes.Select(o => o.LatencyMs)], scores, labels);
    }

    /// <summary>Stops recording samples for <paramref name="endpoint"/>.</summary>
    public void StopWindow(string endpoint) => _windows.TryRemove(endpoint, out _);

    /// <summary>The window's start, or null when the endpoint is not under analysis.</summary>
    public DateTimeOffset? WindowStart(string endpoint) => _windows.TryGetValue(endpoint, out var w) ? w.Start : null;

    /// <summary>What the window holds for one variant.</summary>
    public VariantSample Sample(string endpoint, string variant)
    {
        if (!_windows.TryGetValue(endpoint, out var window) || !window.Variants.TryGetValue(variant, out var v))
        {
            return new VariantSample(0, 0, [], [], []);
        }

        lock (v)
        {
            return new VariantSample(v.Requests, v.Errors, [.. v.Latencies], [.. v.Scores], [.. v.Labels]);
        }
    }

    /// <summary>The last requests the endpoint served (copies), newest last.</summary>
    public IReadOnlyList<InferenceRequest> RecentRequestsOf(string endpoint)
    {
        if (!_recent.TryGetValue(endpoint, out var recent))
        {
            return [];
        }

        lock (recent)
        {
            return [.. recent.Requests];
        }
    }

    /// <inheritdoc />
    public void Observe(RouteObservation observation)
    {
        ArgumentNullException.ThrowIfNull(observation);
        RecordRequest(observation);
        var outcomes = _outcomes.GetOrAdd(observation.Endpoint + "|" + observation.Variant.Name, _ => new Queue<Outcome>());
        lock (outcomes)
        {
            if (outcomes.Count >= RecentOutcomes)
            {
                outcomes.Dequeue();
            }

            outcomes.Enqueue(new Outcome(observation.Error is not null, observation.LatencyMs, observation.Response?.Outputs));
        }

        if (!_windows.TryGetValue(observation.Endpoint, out var window) || observation.At < window.Start)
        {
            return;
        }

        var v = window.Variants.GetOrAdd(observation.Variant.Name, _ => new VariantWindow());
        var predictions = observation.Response is { } response ? PredictionExtractor.Extract(response.Outputs) : null;
        lock (v)
        {
            v.Requests++;
            if (observation.Error is not null)
            {
                v.Errors++;
            }

            if (v.Latencies.Count < MaxSamples)
            {
                v.Latencies.Add(observation.LatencyMs);
            }

            if (predictions is not null)
            {
                AddCapped(v.Scores, predictions.Scores);
                AddCapped(v.Labels, predictions.Labels);
            }
        }
    }

    private static void AddCapped<T>(List<T> into, IReadOnlyList<T> values)
    {
        for (var i = 0; i < values.Count && into.Count < MaxSamples; i++)
        {
            into.Add(values[i]);
        }
    }

    private void RecordRequest(RouteObservation observation)
    {
        if (observation.Error is not null && observation.Error.Kind == InferenceErrorKind.InvalidArgument)
        {
            return;
        }

        var recent = _recent.GetOrAdd(observation.Endpoint, _ => new RecentRing());
        lock (recent)
        {
            // Once the ring is full, keep one request in eight: replays need a sample, not every request.
            if (recent.Requests.Count >= RecentRequests && (++recent.Seen & 7) != 0)
            {
                return;
            }

            if (recent.Requests.Count >= RecentRequests)
            {
                recent.Requests.Dequeue();
            }

            recent.Requests.Enqueue(Copy(observation.Request));
        }
    }

    // The frontend may lend the request's buffers (binary payloads): a kept request owns its bytes.
    private static InferenceRequest Copy(InferenceRequest request) => new()
    {
        ModelName = request.ModelName,
        Id = request.Id,
        Outputs = request.Outputs,
        Inputs = [.. request.Inputs.Select(t => t.DataType == DataType.Bytes
            ? Tensor.FromStrings(t.Name, [.. t.Shape], [.. (t.Strings ?? []).Select(s => s.ToArray())])
            : Tensor.FromBytes(t.Name, t.DataType, [.. t.Shape], t.Data.ToArray()))],
    };

    // Outputs are the response's own tensors (never lent buffers), so keeping them is safe.
    private sealed record Outcome(bool Failed, double LatencyMs, IReadOnlyList<Tensor>? Outputs);

    private sealed class Window(DateTimeOffset start, VariantSample? baseline)
    {
        public DateTimeOffset Start { get; } = start;

        public VariantSample? Baseline { get; } = baseline;

        public ConcurrentDictionary<string, VariantWindow> Variants { get; } = new(StringComparer.Ordinal);
    }

    private sealed class VariantWindow
    {
        public long Requests { get; set; }

        public long Errors { get; set; }

        public List<double> Latencies { get; } = [];

        public List<double> Scores { get; } = [];

        public List<string> Labels { get; } = [];
    }

    private sealed class RecentRing
    {
        public Queue<InferenceRequest> Requests { get; } = new();

        public int Seen { get; set; }
    }
}
