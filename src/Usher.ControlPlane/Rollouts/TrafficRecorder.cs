using System.Collections.Concurrent;
using Usher.ControlPlane.Analysis;
using Usher.ControlPlane.Analysis.Summaries;
using Usher.Core.Inference;
using Usher.Core.Routing;
using Usher.Core.Tensors;

namespace Usher.ControlPlane.Rollouts;

/// <summary>
/// Records what the analysis needs from routed traffic: per endpoint under analysis, per variant,
/// the request and error counts and per-request samples (latency, predictions) since the window
/// started, bounded; and for every endpoint the recent outcomes and requests (copies) that a
/// blue-green switch validates and judges against. Both variants of a window are recorded over the
/// same time span. Observations arrive on the router's observation channel, never on a request's
/// path, and only while something needs them (<see cref="Needs"/>): an analysis window, or the
/// refill of an endpoint's recent outcomes and requests, which rests for <see cref="RecentRefresh"/>
/// after each <see cref="RecentOutcomes"/> observations. The read side catches up with the channel
/// first, so it sees every request answered before the call.
/// </summary>
internal sealed class TrafficRecorder : IRouteObserver
{
    /// <summary>Per-request samples kept per variant and window (counts keep going past it).</summary>
    public const int MaxSamples = 20_000;

    /// <summary>Recent requests kept per endpoint for replays.</summary>
    public const int RecentRequests = 64;

    /// <summary>Recent outcomes kept per variant of every endpoint: a blue-green switch's baseline.</summary>
    public const int RecentOutcomes = 1_000;

    /// <summary>How long an endpoint outside any window goes unobserved once its recent outcomes and requests were refilled.</summary>
    public static readonly TimeSpan RecentRefresh = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, Window> _windows = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Trail> _trails = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly RouteObservations? _source;

    /// <summary>Creates a recorder.</summary>
    /// <param name="time">The clock that decides when an endpoint's recent outcomes are refilled; default the system clock.</param>
    /// <param name="source">The channel the observations arrive on, caught up with before each read; null when they are handed over directly.</param>
    /// <param name="summarise">Whether windows also keep a <see cref="VariantSummary"/> of each variant
    /// (<see cref="SummaryOf"/>), for a replica that shares its analysis: about 20-35 ns more per
    /// observation, on the channel's task. Default false: one process judges its samples.</param>
    public TrafficRecorder(TimeProvider? time = null, RouteObservations? source = null, bool summarise = false)
    {
        _time = time ?? TimeProvider.System;
        _source = source;
        Summarises = summarise;
    }

    /// <summary>Whether windows keep a summary of each variant (<see cref="SummaryOf"/>).</summary>
    public bool Summarises { get; }

    /// <summary>Whether a request routed to <paramref name="endpoint"/> now would be recorded.</summary>
    public bool IsObserving(string endpoint) => Needs(endpoint, null) != ObservationNeeds.None;

    /// <inheritdoc />
    public ObservationNeeds Needs(string endpoint, string? routingKey)
    {
        var needs = _windows.TryGetValue(endpoint, out _) ? ObservationNeeds.Outcome : ObservationNeeds.None;
        if (!_trails.TryGetValue(endpoint, out var trail))
        {
            return ObservationNeeds.Outcome | ObservationNeeds.Request;
        }

        if (Volatile.Read(ref trail.QuietUntil) > _time.GetUtcNow().UtcTicks)
        {
            return needs;
        }

        return Volatile.Read(ref trail.RequestsWanted) > 0 ? ObservationNeeds.Outcome | ObservationNeeds.Request : ObservationNeeds.Outcome;
    }

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
        _source?.CatchUp();
        if (!_trails.TryGetValue(endpoint, out var trail) || !trail.Outcomes.TryGetValue(variant, out var queue))
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
        _source?.CatchUp();
        if (!_windows.TryGetValue(endpoint, out var window) || !window.Variants.TryGetValue(variant, out var v))
        {
            return new VariantSample(0, 0, [], [], []);
        }

        // Views of the samples so far, not copies: an analysis tick reads up to MaxSamples of each
        // kind per variant, every second, and copying them moved megabytes through the large object heap.
        lock (v)
        {
            return new VariantSample(v.Requests, v.Errors, v.Latencies.Snapshot(), v.Scores.Snapshot(), v.Labels.Snapshot());
        }
    }

    /// <summary>
    /// A copy of the window's summary of one variant (<see cref="VariantSummary"/>): every request since
    /// the window started, past <see cref="MaxSamples"/> too, in sketches of fixed size. What a replica
    /// flushes for the leader to merge.
    /// </summary>
    /// <exception cref="InvalidOperationException">The recorder was created without <c>summarise</c>.</exception>
    public VariantSummary SummaryOf(string endpoint, string variant)
    {
        if (!Summarises)
        {
            throw new InvalidOperationException("this recorder keeps no window summaries: create it with summarise: true where replicas share their analysis");
        }

        _source?.CatchUp();
        if (!_windows.TryGetValue(endpoint, out var window) || !window.Variants.TryGetValue(variant, out var v))
        {
            return new VariantSummary();
        }

        lock (v)
        {
            return v.Summary!.Copy();
        }
    }

    /// <summary>The last requests the endpoint served (copies), newest last.</summary>
    public IReadOnlyList<InferenceRequest> RecentRequestsOf(string endpoint)
    {
        _source?.CatchUp();
        if (!_trails.TryGetValue(endpoint, out var trail))
        {
            return [];
        }

        lock (trail.Requests)
        {
            return [.. trail.Requests];
        }
    }

    /// <inheritdoc />
    public void Observe(in RouteObservation observation)
    {
        var trail = _trails.GetOrAdd(observation.Endpoint, static _ => new Trail());
        Remember(trail, in observation);
        if (!_windows.TryGetValue(observation.Endpoint, out var window) || observation.At < window.Start)
        {
            return;
        }

        var v = window.Variants.GetOrAdd(observation.Variant.Name, static (_, summarise) => new VariantWindow(summarise), Summarises);
        var predictions = observation.Response is { } response ? PredictionExtractor.Extract(response.Outputs) : null;
        lock (v)
        {
            v.Requests++;
            if (observation.Error is not null)
            {
                v.Errors++;
            }

            v.Latencies.Add(observation.LatencyMs);

            if (predictions is not null)
            {
                AddCapped(v.Scores, predictions.Scores);
                AddCapped(v.Labels, predictions.Labels);
            }

            v.Summary?.Record(observation.Error is not null, observation.LatencyMs, predictions);
        }
    }

    private static void AddCapped<T>(AppendOnlySamples<T> into, IReadOnlyList<T> values)
    {
        for (var i = 0; i < values.Count && !into.IsFull; i++)
        {
            into.Add(values[i]);
        }
    }

    // On the channel's task only (one at a time): the recent outcomes and requests of the endpoint,
    // and when a refill is complete, the rest until the next one.
    private void Remember(Trail trail, in RouteObservation observation)
    {
        var outcomes = trail.Outcomes.GetOrAdd(observation.Variant.Name, static _ => new Queue<Outcome>());
        lock (outcomes)
        {
            if (outcomes.Count >= RecentOutcomes)
            {
                outcomes.Dequeue();
            }

            outcomes.Enqueue(new Outcome(observation.Error is not null, observation.LatencyMs, observation.Response?.Outputs));
        }

        if (observation.Request is { } copy && observation.Error is not { Kind: InferenceErrorKind.InvalidArgument })
        {
            lock (trail.Requests)
            {
                if (trail.Requests.Count >= RecentRequests)
                {
                    trail.Requests.Dequeue();
                }

                trail.Requests.Enqueue(copy);
            }

            Interlocked.Decrement(ref trail.RequestsWanted);
        }

        // A refill ends with enough outcomes and enough requests (or, should most requests be
        // invalid, with four times the outcomes); the endpoint then rests until the next one.
        if (++trail.Taken >= RecentOutcomes && (Volatile.Read(ref trail.RequestsWanted) <= 0 || trail.Taken >= 4 * RecentOutcomes))
        {
            trail.Taken = 0;
            Volatile.Write(ref trail.RequestsWanted, RecentRequests);
            Volatile.Write(ref trail.QuietUntil, (observation.At + RecentRefresh).UtcTicks);
        }
    }

    // Outputs are the response's own tensors (never lent buffers), so keeping them is safe. A value,
    // so that remembering an outcome allocates nothing beyond the ring it goes into.
    private readonly record struct Outcome(bool Failed, double LatencyMs, IReadOnlyList<Tensor>? Outputs);

    private sealed class Window(DateTimeOffset start, VariantSample? baseline)
    {
        public DateTimeOffset Start { get; } = start;

        public VariantSample? Baseline { get; } = baseline;

        public ConcurrentDictionary<string, VariantWindow> Variants { get; } = new(StringComparer.Ordinal);
    }

    private sealed class VariantWindow(bool summarise)
    {
        public long Requests { get; set; }

        public long Errors { get; set; }

        public AppendOnlySamples<double> Latencies { get; } = new(MaxSamples);

        public AppendOnlySamples<double> Scores { get; } = new(MaxSamples);

        public AppendOnlySamples<string> Labels { get; } = new(MaxSamples);

        // The same requests, uncapped, in mergeable form: what a replica flushes (null unless summarising).
        public VariantSummary? Summary { get; } = summarise ? new VariantSummary() : null;
    }

    private sealed class Trail
    {
#pragma warning disable SA1401 // Fields so that Volatile and Interlocked can use them.
        // UtcTicks until which the endpoint is not observed outside a window; 0: refilling.
        public long QuietUntil;

        // Request copies still wanted in this refill.
        public int RequestsWanted = RecentRequests;

        // Observations taken in this refill (the channel's task only).
        public int Taken;
#pragma warning restore SA1401

        public Queue<InferenceRequest> Requests { get; } = new();

        public ConcurrentDictionary<string, Queue<Outcome>> Outcomes { get; } = new(StringComparer.Ordinal);
    }
}
