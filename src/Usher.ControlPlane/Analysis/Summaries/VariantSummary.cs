using System.Text;

namespace Usher.ControlPlane.Analysis.Summaries;

/// <summary>
/// What one variant did in one analysis window, in a form that merges exactly: request and error
/// counts, a latency sketch, a score sketch (its buckets are the score histogram's fixed bins) and
/// one count per label. Each replica keeps one per variant and window (<see cref="Record"/> per
/// request, or <see cref="Of"/> a sample); the leader adds them up (<see cref="Merge"/>) and judges
/// the sum (<see cref="ToSample"/>). Adding is associative and commutative, so the leader's sum does
/// not depend on how the traffic was split over the replicas or in which order their summaries arrive.
/// </summary>
/// <remarks>
/// The score bins are the sketch's log-spaced buckets (bucket i holds scores with |s| in
/// (γ^(i−1), γ^i], one store per sign, |s| &lt; 1e-9 counted as 0): they depend only on α, so every
/// replica bins alike without agreeing on anything first, and the leader coarsens them to stable's
/// deciles when it judges (the drift check's bins are unions of these buckets).
/// </remarks>
internal sealed class VariantSummary
{
    /// <summary>Distinct labels one summary may carry.</summary>
    public const int MaxLabels = 10_000;

    /// <summary>Characters one label may have.</summary>
    public const int MaxLabelLength = 1_024;

    /// <summary>The byte layout <see cref="ToBytes"/> writes; a reader refuses any other.</summary>
    public const byte Format = 1;

    private readonly SortedDictionary<string, long> _labels = new(StringComparer.Ordinal);

    /// <summary>Creates an empty summary.</summary>
    /// <param name="relativeAccuracy">α of the latency and score sketches.</param>
    public VariantSummary(double relativeAccuracy = DdSketch.DefaultRelativeAccuracy)
    {
        Latencies = new DdSketch(relativeAccuracy);
        Scores = new DdSketch(relativeAccuracy);
    }

    private VariantSummary(long requests, long errors, DdSketch latencies, DdSketch scores)
    {
        Requests = requests;
        Errors = errors;
        Latencies = latencies;
        Scores = scores;
    }

    /// <summary>Requests answered, successfully or not.</summary>
    public long Requests { get; private set; }

    /// <summary>Requests that failed.</summary>
    public long Errors { get; private set; }

    /// <summary>Latencies in milliseconds (finite and non-negative ones, as the latency check keeps).</summary>
    public DdSketch Latencies { get; }

    /// <summary>Scores (finite ones, as the drift check keeps).</summary>
    public DdSketch Scores { get; }

    /// <summary>How many times each label was predicted, in ordinal order.</summary>
    public IReadOnlyDictionary<string, long> Labels => _labels;

    /// <summary>The summary of a sample (a replica's window, or the baseline a window is judged against).</summary>
    public static VariantSummary Of(VariantSample sample, double relativeAccuracy = DdSketch.DefaultRelativeAccuracy)
    {
        ArgumentNullException.ThrowIfNull(sample);
        var summary = new VariantSummary(relativeAccuracy) { Requests = sample.Requests, Errors = sample.Errors };
        summary.Keep(sample.LatenciesMs, sample.Scores, sample.Labels);
        return summary;
    }

    /// <summary>
    /// Counts one answered request: its outcome, its latency and its predictions (null for a failed
    /// request). Allocation-free unless a sketch grows or a label is new. A label beyond the
    /// <see cref="MaxLabels"/>-th distinct one is not counted (a model with that many is judged by its scores).
    /// </summary>
    public void Record(bool failed, double latencyMs, ExtractedPredictions? predictions)
    {
        Requests++;
        if (failed)
        {
            Errors++;
        }

        if (double.IsFinite(latencyMs) && latencyMs >= 0)
        {
            Latencies.Add(latencyMs);
        }

        if (predictions is not null)
        {
            Keep([], predictions.Scores, predictions.Labels);
        }
    }

    /// <summary>A copy that later records and merges leave alone.</summary>
    public VariantSummary Copy() => Sum([this]);

    /// <summary>The sum of <paramref name="parts"/> (an empty summary at α when there are none).</summary>
    public static VariantSummary Sum(IEnumerable<VariantSummary> parts, double relativeAccuracy = DdSketch.DefaultRelativeAccuracy)
    {
        ArgumentNullException.ThrowIfNull(parts);
        VariantSummary? sum = null;
        foreach (var part in parts)
        {
            sum ??= new VariantSummary(part.Latencies.RelativeAccuracy);
            sum.Merge(part);
        }

        return sum ?? new VariantSummary(relativeAccuracy);
    }

    /// <summary>
    /// Adds <paramref name="other"/>'s counts, sketches and labels to this summary's (labels beyond
    /// the <see cref="MaxLabels"/>-th distinct one are not counted).
    /// </summary>
    /// <exception cref="ArgumentException">The sketches' accuracies differ.</exception>
    public void Merge(VariantSummary other)
    {
        ArgumentNullException.ThrowIfNull(other);
        Latencies.Merge(other.Latencies);
        Scores.Merge(other.Scores);
        Requests += other.Requests;
        Errors += other.Errors;
        foreach (var (label, count) in other._labels)
        {
            TryAddLabel(label, count);
        }
    }

    /// <summary>
    /// The summary as a sample the checks judge: the counts as they are, each sketch expanded into its
    /// values as they read back (each within α of a value added, ranks kept), each label repeated by
    /// its count. The checks run unchanged on it, so one rule stays in one place; how far each of their
    /// statistics can move from the one on the raw sample is in docs/scaling.md. With
    /// <paramref name="max"/>, each of the three holds at most that many values, spread evenly over the
    /// ranks (<see cref="RankSample"/>): the leader judges a sample no larger than one process keeps,
    /// whatever the traffic; the counts stay whole.
    /// </summary>
    public VariantSample ToSample(int max = int.MaxValue)
    {
        var labels = RankSample.Read(_labels.Select(l => (l.Key, l.Value)), _labels.Values.Sum(), max);
        return new VariantSample(Requests, Errors, Latencies.Expand(max), Scores.Expand(max), labels);
    }

    /// <summary>Whether <paramref name="other"/> holds the same counts, buckets and labels.</summary>
    public bool SameAs(VariantSummary other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Requests == other.Requests && Errors == other.Errors
            && Latencies.SameCounts(other.Latencies) && Scores.SameCounts(other.Scores)
            && _labels.Count == other._labels.Count
            && _labels.All(l => other._labels.TryGetValue(l.Key, out var count) && count == l.Value);
    }

    /// <summary>
    /// The summary as bytes: a format byte (<see cref="Format"/>), then requests, errors, the latency
    /// and score sketches (<see cref="DdSketch.WriteTo"/>) and the labels with their counts. Equal
    /// summaries give equal bytes.
    /// </summary>
    public byte[] ToBytes()
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Format);
            writer.Write7BitEncodedInt64(Requests);
            writer.Write7BitEncodedInt64(Errors);
            Latencies.WriteTo(writer);
            Scores.WriteTo(writer);
            writer.Write7BitEncodedInt(_labels.Count);
            foreach (var (label, count) in _labels)
            {
                writer.Write(label);
                writer.Write7BitEncodedInt64(count);
            }
        }

        return stream.ToArray();
    }

    /// <summary>Reads <see cref="ToBytes"/>'s bytes, checking every count and size before it reserves memory.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a summary of this format.</exception>
    public static VariantSummary FromBytes(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        using var reader = new BinaryReader(new MemoryStream(bytes, writable: false), Encoding.UTF8);
        try
        {
            var format = reader.ReadByte();
            if (format != Format)
            {
                throw new InvalidDataException($"summary: format {format}; this Usher reads format {Format}");
            }

            var requests = reader.Read7BitEncodedInt64();
            var errors = reader.Read7BitEncodedInt64();
            if (requests < 0 || errors < 0 || errors > requests)
            {
                throw new InvalidDataException($"summary: need 0 <= errors <= requests, got {errors} errors of {requests} requests");
            }

            var summary = new VariantSummary(requests, errors, DdSketch.ReadFrom(reader), DdSketch.ReadFrom(reader));
            var labels = reader.Read7BitEncodedInt();
            if (labels < 0 || labels > MaxLabels)
            {
                throw new InvalidDataException($"summary: {labels} distinct labels; expected 0 to {MaxLabels}");
            }

            for (var i = 0; i < labels; i++)
            {
                var label = ReadLabel(reader);
                var count = reader.Read7BitEncodedInt64();
                if (count <= 0)
                {
                    throw new InvalidDataException($"summary: label '{Shorten(label)}' has count {count}; expected a positive count");
                }

                summary.AddLabel(label, count);
            }

            if (reader.BaseStream.Position != bytes.Length)
            {
                throw new InvalidDataException($"summary: {bytes.Length - reader.BaseStream.Position} bytes left over after the summary");
            }

            return summary;
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"summary: cut short ({bytes.Length} bytes)", e);
        }
        catch (FormatException e)
        {
            throw new InvalidDataException($"summary: {e.Message}", e);
        }
    }

    // BinaryWriter.Write(string)'s layout (a 7-bit length in bytes, then UTF-8), with the length
    // checked before the bytes are read.
    private static string ReadLabel(BinaryReader reader)
    {
        var length = reader.Read7BitEncodedInt();
        if (length < 0 || length > MaxLabelLength * 4)
        {
            throw new InvalidDataException($"summary: a label of {length} bytes; expected at most {MaxLabelLength * 4}");
        }

        var bytes = reader.ReadBytes(length);
        return bytes.Length == length ? Encoding.UTF8.GetString(bytes) : throw new EndOfStreamException();
    }

    // What the checks keep: finite non-negative latencies, finite scores, and labels (the first
    // MaxLabels distinct ones, each of at most MaxLabelLength characters). Indexed loops: no enumerator.
    private void Keep(IReadOnlyList<double> latenciesMs, IReadOnlyList<double> scores, IReadOnlyList<string> labels)
    {
        for (var i = 0; i < latenciesMs.Count; i++)
        {
            if (double.IsFinite(latenciesMs[i]) && latenciesMs[i] >= 0)
            {
                Latencies.Add(latenciesMs[i]);
            }
        }

        for (var i = 0; i < scores.Count; i++)
        {
            if (double.IsFinite(scores[i]))
            {
                Scores.Add(scores[i]);
            }
        }

        for (var i = 0; i < labels.Count; i++)
        {
            TryAddLabel(labels[i], 1);
        }
    }

    private void AddLabel(string label, long count)
    {
        if (label.Length > MaxLabelLength)
        {
            throw new InvalidDataException($"summary: label '{Shorten(label)}' has {label.Length} characters; expected at most {MaxLabelLength}");
        }

        if (!TryAddLabel(label, count))
        {
            throw new InvalidDataException($"summary: more than {MaxLabels} distinct labels; a model with that many is to be judged by its scores");
        }
    }

    private bool TryAddLabel(string label, long count)
    {
        ArgumentNullException.ThrowIfNull(label);
        if (label.Length > MaxLabelLength)
        {
            return false;
        }

        if (_labels.TryGetValue(label, out var had))
        {
            _labels[label] = had + count;
            return true;
        }

        if (_labels.Count >= MaxLabels)
        {
            return false;
        }

        _labels[label] = count;
        return true;
    }

    private static string Shorten(string label) => label.Length <= 40 ? label : label[..40] + "…";
}
