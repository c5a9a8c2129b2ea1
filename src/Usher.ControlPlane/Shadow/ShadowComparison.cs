using System.Buffers;
using Usher.ControlPlane.Analysis;
using Usher.ControlPlane.Rollouts;
using Usher.Core.Routing;

namespace Usher.ControlPlane.Shadow;

/// <summary>
/// Accumulates the mirrored pairs of one shadow: per row, the top-1 agreement and the confusion of
/// the two versions' labels (classifiers), or score agreement within a tolerance (no labels); the
/// absolute score differences; bounded recent samples of both versions' scores and latencies; and the
/// last disagreeing requests. Rows are read with <see cref="PredictionExtractor"/>, as the canary's
/// drift check reads them.
/// </summary>
internal sealed class ShadowComparison(DateTimeOffset since, double tolerance)
{
    /// <summary>Recent scores and latencies kept per side.</summary>
    public const int MaxSamples = 20_000;

    /// <summary>Disagreeing requests kept.</summary>
    public const int MaxDisagreements = 20;

    private readonly Lock _lock = new();
    private readonly Dictionary<(string, string), long> _confusion = [];
    private readonly Queue<double> _primaryScores = new();
    private readonly Queue<double> _shadowScores = new();
    private readonly Queue<double> _primaryLatency = new();
    private readonly Queue<double> _shadowLatency = new();
    private readonly Queue<ShadowDisagreement> _disagreements = new();
    private long _pairs;
    private long _errors;
    private long _compared;
    private long _agreed;
    private long _scoreRows;
    private double _sumAbs;
    private double _maxAbs;
    private string _basis = "none";

    /// <summary>Records one pair.</summary>
    public void Add(ShadowPair pair)
    {
        ArgumentNullException.ThrowIfNull(pair);
        var primary = PredictionExtractor.Extract(pair.PrimaryResponse.Outputs);
        var shadow = pair.ShadowResponse is { } r ? PredictionExtractor.Extract(r.Outputs) : null;
        lock (_lock)
        {
            _pairs++;
            Push(_primaryLatency, pair.PrimaryLatencyMs);
            Push(_shadowLatency, pair.ShadowLatencyMs);
            if (shadow is null)
            {
                _errors++;
                _compared++;
                Keep(pair, pair.ShadowError?.Message ?? "the shadow failed");
                return;
            }

            var disagreed = false;
            var labelled = primary.Labels.Count > 0 && primary.Labels.Count == shadow.Labels.Count;
            var scored = primary.Scores.Count > 0 && primary.Scores.Count == shadow.Scores.Count;
            if (labelled)
            {
                _basis = "label";
                for (var i = 0; i < primary.Labels.Count; i++)
                {
                    var key = (primary.Labels[i], shadow.Labels[i]);
                    _confusion[key] = _confusion.GetValueOrDefault(key) + 1;
                    _compared++;
                    if (string.Equals(key.Item1, key.Item2, StringComparison.Ordinal))
                    {
                        _agreed++;
                    }
                    else
                    {
                        disagreed = true;
                    }
                }
            }

            if (scored)
            {
                for (var i = 0; i < primary.Scores.Count; i++)
                {
                    var difference = Math.Abs(primary.Scores[i] - shadow.Scores[i]);
                    _scoreRows++;
                    _sumAbs += difference;
                    _maxAbs = Math.Max(_maxAbs, difference);
                    Push(_primaryScores, primary.Scores[i]);
                    Push(_shadowScores, shadow.Scores[i]);
                    if (!labelled)
                    {
                        _basis = "score";
                        _compared++;
                        if (difference <= tolerance)
                        {
                            _agreed++;
                        }
                        else
                        {
                            disagreed = true;
                        }
                    }
                }
            }

            if (!labelled && !scored)
            {
                // Nothing per row to read (e.g. images out): compare the whole answers.
                _basis = _basis == "none" ? "output" : _basis;
                _compared++;
                if (OutputAgreement.Compare(pair.PrimaryResponse.Outputs, pair.ShadowResponse!.Outputs, tolerance, []) is null)
                {
                    _agreed++;
                }
                else
                {
                    disagreed = true;
                }
            }

            if (disagreed)
            {
                Keep(pair, null);
            }
        }
    }

    /// <summary>The report now.</summary>
    /// <remarks>
    /// The samples are sorted in pooled buffers: a report allocates what it returns, not copies of
    /// its up to 4 × <see cref="MaxSamples"/> samples.
    /// </remarks>
    public ShadowReport Report()
    {
        lock (_lock)
        {
            var primaryScores = SortedCopy(_primaryScores);
            var shadowScores = SortedCopy(_shadowScores);
            var primaryLatency = SortedCopy(_primaryLatency);
            var shadowLatency = SortedCopy(_shadowLatency);
            try
            {
                ReadOnlySpan<double> sortedPrimary = primaryScores.AsSpan(0, _primaryScores.Count);
                ReadOnlySpan<double> sortedShadow = shadowScores.AsSpan(0, _shadowScores.Count);
                var hasScores = !sortedPrimary.IsEmpty && !sortedShadow.IsEmpty;
                var ks = hasScores ? KolmogorovSmirnov.TestSorted(sortedPrimary, sortedShadow) : null;
                double? psi = null;
                if (hasScores)
                {
                    var (reference, current) = PopulationStabilityIndex.DecileCountsOfSorted(sortedPrimary, sortedShadow);
                    psi = PopulationStabilityIndex.FromCounts(reference, current);
                }

                return new ShadowReport
                {
                    Since = since,
                    Pairs = _pairs,
                    ShadowErrors = _errors,
                    Basis = _basis,
                    Compared = _compared,
                    Agreed = _agreed,
                    AgreementInterval = _compared == 0
                        ? (0, 1)
                        : (WilsonInterval.Lower(_agreed, _compared, 0.95), 1 - WilsonInterval.Lower(_compared - _agreed, _compared, 0.95)),
                    Confusion = [.. _confusion.OrderBy(c => c.Key.Item1, StringComparer.Ordinal).ThenBy(c => c.Key.Item2, StringComparer.Ordinal).Select(c => (c.Key.Item1, c.Key.Item2, c.Value))],
                    ScoreRows = _scoreRows,
                    MeanAbsDifference = _scoreRows == 0 ? 0 : _sumAbs / _scoreRows,
                    MaxAbsDifference = _maxAbs,
                    Psi = psi,
                    KolmogorovSmirnov = ks is null ? null : (ks.D, ks.PValue),
                    LatencySamples = _primaryLatency.Count,
                    PrimaryLatencyMs = Percentiles(primaryLatency.AsSpan(0, _primaryLatency.Count)),
                    ShadowLatencyMs = Percentiles(shadowLatency.AsSpan(0, _shadowLatency.Count)),
                    Disagreements = [.. _disagreements],
                };
            }
            finally
            {
                ArrayPool<double>.Shared.Return(primaryScores);
                ArrayPool<double>.Shared.Return(shadowScores);
                ArrayPool<double>.Shared.Return(primaryLatency);
                ArrayPool<double>.Shared.Return(shadowLatency);
            }
        }
    }

    private static (double, double) Percentiles(ReadOnlySpan<double> sorted)
        => sorted.IsEmpty ? (0, 0) : (Percentile.OfSorted(sorted, 50), Percentile.OfSorted(sorted, 99));

    // A sorted copy of a sample, in a pooled buffer the caller returns (its first sample.Count values).
    private static double[] SortedCopy(Queue<double> sample)
    {
        var copy = ArrayPool<double>.Shared.Rent(sample.Count);
        sample.CopyTo(copy, 0);
        Array.Sort(copy, 0, sample.Count);
        return copy;
    }

    private static void Push(Queue<double> queue, double value)
    {
        if (queue.Count >= MaxSamples)
        {
            queue.Dequeue();
        }

        queue.Enqueue(value);
    }

    private void Keep(ShadowPair pair, string? error)
    {
        if (_disagreements.Count >= MaxDisagreements)
        {
            _disagreements.Dequeue();
        }

        _disagreements.Enqueue(new ShadowDisagreement(pair.At, pair.Request.Inputs, pair.PrimaryResponse.Outputs, pair.ShadowResponse?.Outputs, error));
    }
}
