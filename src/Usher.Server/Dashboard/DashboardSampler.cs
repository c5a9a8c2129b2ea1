using Usher.Core.Telemetry;

namespace Usher.Server.Dashboard;

/// <summary>
/// Turns the recorder's running totals into the dashboard's live series: every
/// <see cref="Interval"/> of the injected <see cref="TimeProvider"/> it reads the totals, keeps the
/// last <see cref="Capacity"/> readings, and on <see cref="Read"/> computes per interval and version the
/// throughput, the error rate and p50/p99 (from the latency histogram's buckets), and per endpoint the
/// observed split over the last <see cref="SplitSamples"/> intervals. It starts on the first read and
/// stops (and stops the recorder) once nobody has read for <see cref="IdleAfter"/>.
/// </summary>
internal sealed class DashboardSampler : IDisposable
{
    /// <summary>Time between two readings.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    /// <summary>Without a read for this long, sampling and recording stop.</summary>
    public static readonly TimeSpan IdleAfter = TimeSpan.FromMinutes(2);

    /// <summary>Readings kept: five minutes.</summary>
    public const int Capacity = 301;

    /// <summary>Intervals over which the live split is measured.</summary>
    public const int SplitSamples = 10;

    private readonly DashboardRecorder _recorder;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly Queue<DashboardSample> _samples = new();
    private ITimer? _timer;
    private DateTimeOffset _lastRead;

    public DashboardSampler(DashboardRecorder recorder, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(recorder);
        ArgumentNullException.ThrowIfNull(time);
        _recorder = recorder;
        _time = time;
    }

    /// <summary>True while sampling.</summary>
    public bool Running
    {
        get
        {
            lock (_gate)
            {
                return _timer is not null;
            }
        }
    }

    /// <summary>The series now; the first call starts watching (and so answers no points yet).</summary>
    public DashboardView Read()
    {
        lock (_gate)
        {
            _lastRead = _time.GetUtcNow();
            if (_timer is null)
            {
                _samples.Clear();
                _recorder.Start();
                _samples.Enqueue(TakeSample());
                _timer = _time.CreateTimer(_ => Tick(), null, Interval, Interval);
            }

            return Build(_lastRead, [.. _samples]);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _timer?.Dispose();
            _timer = null;
            _recorder.Stop();
        }
    }

    private void Tick()
    {
        lock (_gate)
        {
            if (_timer is null)
            {
                return;
            }

            if (_time.GetUtcNow() - _lastRead >= IdleAfter)
            {
                _timer.Dispose();
                _timer = null;
                _recorder.Stop();
                _samples.Clear();
                return;
            }

            _samples.Enqueue(TakeSample());
            while (_samples.Count > Capacity)
            {
                _samples.Dequeue();
            }
        }
    }

    private DashboardSample TakeSample() => new(_time.GetUtcNow(), _recorder.ReadVersions(), _recorder.ReadRouted());

    internal static DashboardView Build(DateTimeOffset now, IReadOnlyList<DashboardSample> samples)
    {
        if (samples.Count == 0)
        {
            return new DashboardView(now, null, Interval.TotalSeconds, [], []);
        }

        var last = samples[^1];
        var versions = new List<VersionSeries>();
        foreach (var (key, total) in last.Versions.OrderBy(v => v.Key.Model, StringComparer.Ordinal).ThenBy(v => v.Key.Version, StringComparer.Ordinal))
        {
            var points = new List<SeriesPoint>(samples.Count - 1);
            for (var i = 1; i < samples.Count; i++)
            {
                if (!samples[i].Versions.TryGetValue(key, out var later))
                {
                    continue;
                }

                var seconds = (samples[i].At - samples[i - 1].At).TotalSeconds;
                var delta = later.Minus(samples[i - 1].Versions.GetValueOrDefault(key));
                points.Add(new SeriesPoint(
                    samples[i].At,
                    seconds > 0 ? delta.Requests / seconds : 0,
                    delta.Requests > 0 ? (double)delta.Failed / delta.Requests : null,
                    Milliseconds(HistogramQuantile.Estimate(UsherMetrics.LatencyBuckets, delta.Latency, 0.50)),
                    Milliseconds(HistogramQuantile.Estimate(UsherMetrics.LatencyBuckets, delta.Latency, 0.99))));
            }

            versions.Add(new VersionSeries(key.Model, key.Version, total.Requests, total.Failed, total.Batches, points));
        }

        var from = samples[Math.Max(0, samples.Count - 1 - SplitSamples)];
        var window = (last.At - from.At).TotalSeconds;
        var endpoints = last.Routed
            .GroupBy(r => r.Key.Endpoint, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g =>
            {
                var deltas = g.Select(r => (r.Key.Variant, Count: r.Value - from.Routed.GetValueOrDefault(r.Key))).OrderBy(d => d.Variant, StringComparer.Ordinal).ToList();
                var sum = deltas.Sum(d => d.Count);
                return new EndpointSplit(g.Key, window, [.. deltas.Select(d => new VariantShare(
                    d.Variant,
                    window > 0 ? d.Count / window : 0,
                    sum > 0 ? (double)d.Count / sum : null))]);
            })
            .ToList();
        return new DashboardView(now, samples[0].At, Interval.TotalSeconds, versions, endpoints);
    }

    private static double? Milliseconds(double? seconds) => seconds * 1000;
}
