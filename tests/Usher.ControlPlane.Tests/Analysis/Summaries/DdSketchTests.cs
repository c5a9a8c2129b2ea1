using Usher.ControlPlane.Analysis.Summaries;

namespace Usher.ControlPlane.Tests.Analysis.Summaries;

public sealed class DdSketchTests
{
    private const double Alpha = DdSketch.DefaultRelativeAccuracy;

    public static TheoryData<string> Distributions => ["latencies", "lognormal", "signed", "with zeros"];

    private static double[] Values(string distribution)
    {
        var random = new Random(distribution.Length);
        return distribution switch
        {
            "latencies" => SampleData.Latencies(7, 5000),
            // Four decades of spread: the case a fixed-width histogram gets wrong.
            "lognormal" => SampleData.Normal(8, 5000, 0, 2.5).Select(Math.Exp).ToArray(),
            "signed" => SampleData.Normal(9, 5000, 0.1, 3),
            "with zeros" => Enumerable.Range(0, 3000).Select(i => i % 3 == 0 ? 0.0 : random.NextDouble() * 40).ToArray(),
            _ => throw new ArgumentOutOfRangeException(nameof(distribution)),
        };
    }

    private static DdSketch SketchOf(IEnumerable<double> values)
    {
        var sketch = new DdSketch();
        foreach (var value in values)
        {
            sketch.Add(value);
        }

        return sketch;
    }

    // |a − b| ≤ α|b|, with a little room for rounding in the bucket's value.
    private static void WithinAlpha(double exact, double sketched, string what) =>
        Assert.True(Math.Abs(sketched - exact) <= (Alpha * Math.Abs(exact)) + 1e-12, $"{what}: exact {exact:R}, sketch {sketched:R}");

    [Theory]
    [MemberData(nameof(Distributions))]
    public void Every_rank_reads_back_within_alpha_of_the_value_added_at_that_rank(string distribution)
    {
        var values = Values(distribution);
        var sorted = values.Order().ToArray();
        var sketch = SketchOf(values);

        Assert.Equal(values.Length, sketch.Count);
        for (var rank = 0; rank < sorted.Length; rank++)
        {
            WithinAlpha(sorted[rank], sketch.ValueAtRank(rank), $"rank {rank}");
        }
    }

    [Theory]
    [MemberData(nameof(Distributions))]
    public void Percentiles_are_within_alpha_of_the_exact_percentiles_of_the_sorted_sample(string distribution)
    {
        var sorted = Values(distribution).Order().ToArray();
        var sketch = SketchOf(sorted.Reverse());

        foreach (var percent in new[] { 0, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 100 })
        {
            // numpy's "linear" percentile, computed here from the sorted values.
            var h = (sorted.Length - 1) * percent / 100.0;
            var low = (int)Math.Floor(h);
            var exact = low >= sorted.Length - 1 ? sorted[^1] : sorted[low] + ((h - low) * (sorted[low + 1] - sorted[low]));
            WithinAlpha(exact, sketch.Quantile(percent), $"p{percent}");
        }
    }

    [Fact]
    public void A_bucket_covers_gamma_to_the_i_minus_1_exclusive_to_gamma_to_the_i_and_reads_back_within_alpha()
    {
        var sketch = new DdSketch(0.02);
        var gamma = 1.02 / 0.98;
        Assert.Equal(gamma, sketch.Gamma, 12);
        foreach (var i in new[] { -300, -5, 0, 1, 7, 250 })
        {
            var top = Math.Pow(gamma, i);
            Assert.Equal(i, sketch.IndexOf(top * (1 - 1e-9)));
            Assert.Equal(i, sketch.IndexOf(top / gamma * (1 + 1e-9)));
            Assert.Equal(i + 1, sketch.IndexOf(top * (1 + 1e-9)));
            // Every value of the bucket reads back within α: v / x ∈ [1 − α, 1 + α).
            Assert.InRange(sketch.ValueOf(i) / top, 0.98 - 1e-12, 1.02);
            Assert.InRange(sketch.ValueOf(i) / (top / gamma), 0.98, 1.02 + 1e-12);
        }
    }

    [Theory]
    [MemberData(nameof(Distributions))]
    public void Merging_sketches_of_parts_gives_the_sketch_of_the_whole_bucket_for_bucket(string distribution)
    {
        var values = Values(distribution);
        var whole = SketchOf(values);
        var random = new Random(3);
        var parts = new[] { new DdSketch(), new DdSketch(), new DdSketch() };
        foreach (var value in values)
        {
            // Uneven shares: about 60%, 30% and 10%.
            var u = random.NextDouble();
            parts[u < 0.6 ? 0 : u < 0.9 ? 1 : 2].Add(value);
        }

        var merged = new DdSketch();
        foreach (var part in parts.Reverse())
        {
            merged.Merge(part);
        }

        Assert.True(merged.SameCounts(whole));
        Assert.Equal(values.Length, merged.Count);
        Assert.Equal(whole.Expand(), merged.Expand());
        Assert.Equal(Bytes(whole), Bytes(merged));
    }

    [Theory]
    [MemberData(nameof(Distributions))]
    public void A_sketch_survives_a_round_trip_through_bytes(string distribution)
    {
        var sketch = SketchOf(Values(distribution));

        using var reader = new BinaryReader(new MemoryStream(Bytes(sketch)));
        var back = DdSketch.ReadFrom(reader);

        Assert.True(back.SameCounts(sketch));
        Assert.Equal(sketch.ZeroCount, back.ZeroCount);
        Assert.Equal(sketch.Quantile(99), back.Quantile(99));
    }

    [Fact]
    public void Expand_lists_every_value_as_it_reads_back_in_ascending_order()
    {
        var sketch = SketchOf([5, -2, 0, 5, 100, -300, 1e-12]);

        var values = sketch.Expand();

        Assert.Equal(7, values.Length);
        Assert.Equal(values.Order(), values);
        Assert.Equal(Enumerable.Range(0, 7).Select(r => sketch.ValueAtRank(r)), values);
        Assert.Equal(2, values.Count(v => v == 0));
        WithinAlpha(-300, values[0], "min");
        WithinAlpha(100, values[^1], "max");
    }

    [Fact]
    public void Expand_to_at_most_max_values_keeps_the_quantiles_of_the_whole()
    {
        // 100,000 latencies, log-normal-ish, read out as 1,000: each percentile of the thinned sample is
        // within α of the exact percentile of the raw values (and so of what one process would judge).
        var random = new Random(7);
        var raw = Enumerable.Range(0, 100_000).Select(_ => Math.Exp(random.NextDouble() * 6)).ToArray();
        var sketch = SketchOf(raw);
        var sorted = raw.Order().ToArray();

        var thinned = sketch.Expand(max: 1_000);

        Assert.Equal(1_000, thinned.Length);
        Assert.Equal(thinned.Order(), thinned);
        foreach (var p in new[] { 1, 10, 25, 50, 75, 90, 99 })
        {
            var exact = sorted[(int)(p / 100.0 * sorted.Length)];
            var read = thinned[(int)(p / 100.0 * thinned.Length)];
            Assert.True(Math.Abs(read - exact) <= (2 * DdSketch.DefaultRelativeAccuracy * exact) + 1e-9, $"p{p}: {read} against {exact}");
        }

        Assert.Equal(sketch.Expand(), sketch.Expand(max: 100_000));
    }

    [Fact]
    public void Sketches_of_different_accuracy_do_not_merge()
    {
        var error = Assert.Throws<ArgumentException>(() => new DdSketch(0.01).Merge(new DdSketch(0.02)));

        Assert.Contains("different relative accuracy (0.01 and 0.02)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Non_finite_values_are_refused()
    {
        var sketch = new DdSketch();

        Assert.Throws<ArgumentOutOfRangeException>(() => sketch.Add(double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => sketch.Add(double.PositiveInfinity));
        Assert.Equal(0, sketch.Count);
    }

    [Fact]
    public void Bytes_that_claim_more_buckets_than_a_store_may_span_are_refused_before_anything_is_reserved()
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(0.01);
            writer.Write7BitEncodedInt64(0);
            writer.Write7BitEncodedInt(int.MaxValue);
        }

        stream.Position = 0;
        var error = Assert.Throws<InvalidDataException>(() => DdSketch.ReadFrom(new BinaryReader(stream)));

        Assert.Contains($"spans {int.MaxValue} buckets; expected 0 to {DdSketch.MaxSpan}", error.Message, StringComparison.Ordinal);
    }

    private static byte[] Bytes(DdSketch sketch)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream))
        {
            sketch.WriteTo(writer);
        }

        return stream.ToArray();
    }
}
