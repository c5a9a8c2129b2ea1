using System.Globalization;

namespace Usher.ControlPlane.Analysis.Summaries;

/// <summary>
/// A mergeable quantile sketch with a relative-error guarantee (DDSketch: Masson, Rim and Lee, VLDB
/// 2019). With relative accuracy α and γ = (1 + α) / (1 − α), a value x with |x| ≥
/// <see cref="MinIndexable"/> goes to bucket i = ⌈log_γ |x|⌉ (of the positive or the negative store,
/// by its sign), which covers (γ^(i−1), γ^i]; smaller values are counted as zero. A bucket reads back
/// as v_i = 2γ^i / (γ + 1), so every value reads back within α of itself: v_i / x ∈ [1 − α, 1 + α).
/// </summary>
/// <remarks>
/// Guarantees, for any data: the k-th smallest value the sketch gives (<see cref="ValueAtRank"/>) is
/// within relative error α of the k-th smallest value added (the buckets are ordered as the values
/// are, so ranks are kept exactly; only values move, each within α); a <see cref="Quantile"/>
/// (numpy's linear interpolation between two ranks) is therefore within α too. Merging adds bucket
/// counts, so the sketch of a union equals the merge of the sketches of its parts, bucket for bucket,
/// whatever the split and order. The buckets depend only on α, never on the data, so every replica
/// builds the same ones. Values are doubles; non-finite values are refused by <see cref="Add"/>.
/// </remarks>
internal sealed class DdSketch
{
    /// <summary>The default relative accuracy: 1%.</summary>
    public const double DefaultRelativeAccuracy = 0.01;

    /// <summary>Values smaller than this in magnitude are counted as zero (absolute error below 1e-9).</summary>
    public const double MinIndexable = 1e-9;

    /// <summary>The most buckets one store may span (serialised sketches are checked against it).</summary>
    public const int MaxSpan = 1 << 16;

    private readonly double _lnGamma;
    private readonly Store _positive = new();
    private readonly Store _negative = new();

    /// <summary>Creates an empty sketch.</summary>
    /// <param name="relativeAccuracy">α, within (0, 0.5].</param>
    public DdSketch(double relativeAccuracy = DefaultRelativeAccuracy)
    {
        if (!(relativeAccuracy > 0 && relativeAccuracy <= 0.5))
        {
            throw new ArgumentOutOfRangeException(nameof(relativeAccuracy), relativeAccuracy,
                string.Create(CultureInfo.InvariantCulture, $"a sketch's relative accuracy must be within (0, 0.5], got {relativeAccuracy}"));
        }

        RelativeAccuracy = relativeAccuracy;
        Gamma = (1 + relativeAccuracy) / (1 - relativeAccuracy);
        _lnGamma = Math.Log(Gamma);
    }

    /// <summary>α: every value reads back within this relative error.</summary>
    public double RelativeAccuracy { get; }

    /// <summary>γ = (1 + α) / (1 − α), the ratio between consecutive bucket bounds.</summary>
    public double Gamma { get; }

    /// <summary>Values counted as zero (|x| below <see cref="MinIndexable"/>).</summary>
    public long ZeroCount { get; private set; }

    /// <summary>Values added (or merged in).</summary>
    public long Count => ZeroCount + _positive.Total + _negative.Total;

    /// <summary>The bucket index of a magnitude at or above <see cref="MinIndexable"/>: ⌈log_γ x⌉.</summary>
    public int IndexOf(double magnitude) => (int)Math.Ceiling(Math.Log(magnitude) / _lnGamma);

    /// <summary>The value bucket <paramref name="index"/> reads back as: 2γ^i / (γ + 1).</summary>
    public double ValueOf(int index) => 2 * Math.Exp(index * _lnGamma) / (Gamma + 1);

    /// <summary>Counts <paramref name="value"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is NaN or infinite.</exception>
    public void Add(double value)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "a sketch counts finite values only");
        }

        if (Math.Abs(value) < MinIndexable)
        {
            ZeroCount++;
        }
        else if (value > 0)
        {
            _positive.Add(IndexOf(value), 1);
        }
        else
        {
            _negative.Add(IndexOf(-value), 1);
        }
    }

    /// <summary>Adds <paramref name="other"/>'s counts to this sketch's, bucket by bucket.</summary>
    /// <exception cref="ArgumentException">The sketches have different relative accuracies.</exception>
    public void Merge(DdSketch other)
    {
        ArgumentNullException.ThrowIfNull(other);
        RequireSameBuckets(other);
        ZeroCount += other.ZeroCount;
        _positive.MergeFrom(other._positive);
        _negative.MergeFrom(other._negative);
    }

    /// <summary>
    /// The value the sketch gives for the <paramref name="rank"/>-th smallest value (0-based): the
    /// value of the bucket holding it, within α of the value added at that rank.
    /// </summary>
    public double ValueAtRank(long rank)
    {
        if (rank < 0 || rank >= Count)
        {
            throw new ArgumentOutOfRangeException(nameof(rank), rank, $"rank must be within [0, {Count}) for a sketch of {Count} values");
        }

        if (rank < _negative.Total)
        {
            // The negative store counts magnitudes: the most negative value is its highest bucket.
            return -ValueOf(_negative.IndexAtRank(_negative.Total - 1 - rank));
        }

        rank -= _negative.Total;
        return rank < ZeroCount ? 0 : ValueOf(_positive.IndexAtRank(rank - ZeroCount));
    }

    /// <summary>
    /// The <paramref name="percent"/>-th percentile (0–100) with numpy's linear interpolation between
    /// ranks, as <see cref="Percentile.OfSorted"/> gives on the values added, within relative error α of it.
    /// </summary>
    public double Quantile(double percent)
    {
        if (Count == 0)
        {
            throw new InvalidOperationException("a percentile of an empty sketch is undefined");
        }

        if (!(percent >= 0 && percent <= 100))
        {
            throw new ArgumentOutOfRangeException(nameof(percent), percent, "percent must be within [0, 100]");
        }

        var h = (Count - 1) * percent / 100.0;
        var lower = (long)Math.Floor(h);
        if (lower >= Count - 1)
        {
            return ValueAtRank(Count - 1);
        }

        var low = ValueAtRank(lower);
        return low + ((h - lower) * (ValueAtRank(lower + 1) - low));
    }

    /// <summary>
    /// Every value the sketch holds as it reads back, ascending: each bucket's value repeated by its
    /// count; or, when it holds more than <paramref name="max"/>, <paramref name="max"/> of them spread
    /// evenly over the ranks (<see cref="RankSample"/>), so the quantiles stay. The checks run on this as
    /// on a sample (see <see cref="VariantSummary.ToSample"/>).
    /// </summary>
    public double[] Expand(int max = int.MaxValue)
    {
        if (Math.Min(Count, max) > Array.MaxLength)
        {
            throw new InvalidOperationException($"a sketch of {Count} values is too large to expand (at most {Array.MaxLength})");
        }

        return RankSample.Read(Runs(), Count, max);
    }

    // The buckets' values with their counts, ascending.
    private IEnumerable<(double Value, long Count)> Runs()
    {
        for (var i = _negative.Counts.Length - 1; i >= 0; i--)
        {
            yield return (-ValueOf(_negative.Offset + i), _negative.Counts[i]);
        }

        yield return (0, ZeroCount);
        for (var i = 0; i < _positive.Counts.Length; i++)
        {
            yield return (ValueOf(_positive.Offset + i), _positive.Counts[i]);
        }
    }

    /// <summary>Whether <paramref name="other"/> has the same accuracy and the same count in every bucket.</summary>
    public bool SameCounts(DdSketch other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return RelativeAccuracy.Equals(other.RelativeAccuracy) && ZeroCount == other.ZeroCount
            && _positive.SameCounts(other._positive) && _negative.SameCounts(other._negative);
    }

    /// <summary>Writes the sketch: α, the zero count, then each store (first index, bucket counts as varints).</summary>
    public void WriteTo(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(RelativeAccuracy);
        writer.Write7BitEncodedInt64(ZeroCount);
        _positive.WriteTo(writer);
        _negative.WriteTo(writer);
    }

    /// <summary>Reads a sketch written by <see cref="WriteTo"/>, checking every count and span before it reserves memory.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a sketch.</exception>
    public static DdSketch ReadFrom(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var alpha = reader.ReadDouble();
        if (!(alpha > 0 && alpha <= 0.5))
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"sketch: relative accuracy must be within (0, 0.5], got {alpha}"));
        }

        var sketch = new DdSketch(alpha) { ZeroCount = ReadCount(reader, "zero count") };
        sketch._positive.ReadFrom(reader, "positive store");
        sketch._negative.ReadFrom(reader, "negative store");
        return sketch;
    }

    private void RequireSameBuckets(DdSketch other)
    {
        if (!RelativeAccuracy.Equals(other.RelativeAccuracy))
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"cannot merge sketches of different relative accuracy ({RelativeAccuracy} and {other.RelativeAccuracy}): their buckets differ"),
                nameof(other));
        }
    }

    private static long ReadCount(BinaryReader reader, string what)
    {
        var count = reader.Read7BitEncodedInt64();
        return count >= 0 ? count : throw new InvalidDataException($"sketch: {what} must not be negative, got {count}");
    }

    // Bucket counts from Offset to Offset + Counts.Length - 1, grown on demand; dense, since a window's
    // values span a few hundred buckets at α = 1% (a factor of 100 is 231 buckets).
    private sealed class Store
    {
        public long[] Counts { get; private set; } = [];

        public int Offset { get; private set; }

        public long Total { get; private set; }

        public void Add(int index, long count)
        {
            Cover(index);
            Counts[index - Offset] += count;
            Total += count;
        }

        public void MergeFrom(Store other)
        {
            for (var i = 0; i < other.Counts.Length; i++)
            {
                if (other.Counts[i] != 0)
                {
                    Add(other.Offset + i, other.Counts[i]);
                }
            }
        }

        public int IndexAtRank(long rank)
        {
            for (var i = 0; i < Counts.Length; i++)
            {
                if (rank < Counts[i])
                {
                    return Offset + i;
                }

                rank -= Counts[i];
            }

            throw new InvalidOperationException("rank beyond the store's total");
        }

        public bool SameCounts(Store other)
        {
            if (Total != other.Total)
            {
                return false;
            }

            var low = Math.Min(Offset, other.Offset);
            var high = Math.Max(Offset + Counts.Length, other.Offset + other.Counts.Length);
            for (var index = low; index < high; index++)
            {
                if (At(index) != other.At(index))
                {
                    return false;
                }
            }

            return true;
        }

        public void WriteTo(BinaryWriter writer)
        {
            // Trimmed of empty buckets at both ends, so equal counts write equal bytes.
            var first = 0;
            var last = Counts.Length - 1;
            while (first <= last && Counts[first] == 0)
            {
                first++;
            }

            while (last >= first && Counts[last] == 0)
            {
                last--;
            }

            var length = last - first + 1;
            writer.Write7BitEncodedInt(length);
            if (length == 0)
            {
                return;
            }

            writer.Write(Offset + first);
            for (var i = first; i <= last; i++)
            {
                writer.Write7BitEncodedInt64(Counts[i]);
            }
        }

        public void ReadFrom(BinaryReader reader, string what)
        {
            var length = reader.Read7BitEncodedInt();
            if (length < 0 || length > MaxSpan)
            {
                throw new InvalidDataException($"sketch: {what} spans {length} buckets; expected 0 to {MaxSpan}");
            }

            if (length == 0)
            {
                return;
            }

            var offset = reader.ReadInt32();
            if (offset < int.MinValue / 2 || offset > (int.MaxValue / 2) - length)
            {
                throw new InvalidDataException($"sketch: {what} starts at bucket {offset}, outside the indexable range");
            }

            for (var i = 0; i < length; i++)
            {
                var count = ReadCount(reader, what + " bucket");
                if (count > 0)
                {
                    Add(offset + i, count);
                }
            }
        }

        private long At(int index) => index >= Offset && index < Offset + Counts.Length ? Counts[index - Offset] : 0;

        private void Cover(int index)
        {
            if (Counts.Length == 0)
            {
                Offset = index;
                Counts = new long[16];
                return;
            }

            var low = Math.Min(Offset, index);
            var high = Math.Max(Offset + Counts.Length - 1, index);
            if (low == Offset && high < Offset + Counts.Length)
            {
                return;
            }

            if (high - low + 1 > MaxSpan)
            {
                throw new InvalidOperationException($"a sketch store may span at most {MaxSpan} buckets; bucket {index} is too far from {Offset}");
            }

            // Grow with room on the side that grew, so a drifting range does not copy on every value.
            var span = high - low + 1;
            var grown = new long[Math.Min(MaxSpan, Math.Max(span, Counts.Length * 2))];
            var newOffset = index < Offset ? high - grown.Length + 1 : low;
            Counts.CopyTo(grown, Offset - newOffset);
            Counts = grown;
            Offset = newOffset;
        }
    }
}
