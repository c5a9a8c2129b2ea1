using System.Text;
using Usher.ControlPlane.Analysis;
using Usher.ControlPlane.Analysis.Summaries;

namespace Usher.ControlPlane.Tests.Analysis.Summaries;

public sealed class VariantSummaryTests
{
    private static readonly VariantSample Sample = new(
        7, 2, [3.5, 0, 12, double.NaN, -1, 3.5], [0.25, double.PositiveInfinity, -0.5], ["cat", "dog", "cat", "ünïcode"]);

    [Fact]
    public void A_summary_keeps_what_the_checks_keep_of_a_sample()
    {
        var summary = VariantSummary.Of(Sample);

        Assert.Equal(7, summary.Requests);
        Assert.Equal(2, summary.Errors);
        // The latency check drops non-finite and negative latencies, the drift check non-finite scores.
        Assert.Equal(4, summary.Latencies.Count);
        Assert.Equal(1, summary.Latencies.ZeroCount);
        Assert.Equal(2, summary.Scores.Count);
        Assert.Equal(new Dictionary<string, long> { ["cat"] = 2, ["dog"] = 1, ["ünïcode"] = 1 }, summary.Labels);
    }

    [Fact]
    public void A_summary_survives_a_round_trip_through_bytes()
    {
        var summary = VariantSummary.Of(Sample);

        var back = VariantSummary.FromBytes(summary.ToBytes());

        Assert.True(back.SameAs(summary));
        Assert.Equal(summary.ToBytes(), back.ToBytes());
        Assert.Equal(summary.ToSample().LatenciesMs, back.ToSample().LatenciesMs);
    }

    [Fact]
    public void ToSample_repeats_each_label_by_its_count_in_ordinal_order()
    {
        var sample = VariantSummary.Of(Sample).ToSample();

        Assert.Equal(["cat", "cat", "dog", "ünïcode"], sample.Labels);
        Assert.Equal(7, sample.Requests);
    }

    [Fact]
    public void ToSample_with_a_max_thins_the_values_and_keeps_the_counts_whole()
    {
        var summary = new VariantSummary();
        for (var i = 0; i < 3_000; i++)
        {
            summary.Record(i % 100 == 0, 1 + (i % 50), null);
        }

        var sample = summary.ToSample(max: 300);

        Assert.Equal(3_000, sample.Requests);
        Assert.Equal(30, sample.Errors);
        Assert.Equal(300, sample.LatenciesMs.Count);
        Assert.Equal(3_000, summary.ToSample().LatenciesMs.Count);
    }

    [Fact]
    public void Bytes_of_another_format_are_refused_by_name()
    {
        var bytes = VariantSummary.Of(Sample).ToBytes();
        bytes[0] = 2;

        var error = Assert.Throws<InvalidDataException>(() => VariantSummary.FromBytes(bytes));

        Assert.Equal("summary: format 2; this Usher reads format 1", error.Message);
    }

    [Fact]
    public void Bytes_cut_short_or_with_more_errors_than_requests_are_refused()
    {
        var bytes = VariantSummary.Of(Sample).ToBytes();

        Assert.Contains("cut short", Assert.Throws<InvalidDataException>(() => VariantSummary.FromBytes(bytes[..^3])).Message, StringComparison.Ordinal);
        Assert.Contains("left over", Assert.Throws<InvalidDataException>(() => VariantSummary.FromBytes([.. bytes, 0])).Message, StringComparison.Ordinal);
        Assert.Equal(
            "summary: need 0 <= errors <= requests, got 5 errors of 3 requests",
            Assert.Throws<InvalidDataException>(() => VariantSummary.FromBytes([VariantSummary.Format, 3, 5])).Message);
    }

    [Fact]
    public void A_label_longer_than_the_limit_is_refused_before_it_is_read()
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(VariantSummary.Format);
            writer.Write7BitEncodedInt64(1);
            writer.Write7BitEncodedInt64(0);
            new DdSketch().WriteTo(writer);
            new DdSketch().WriteTo(writer);
            writer.Write7BitEncodedInt(1);
            writer.Write7BitEncodedInt(int.MaxValue);
        }

        var error = Assert.Throws<InvalidDataException>(() => VariantSummary.FromBytes(stream.ToArray()));

        Assert.Equal($"summary: a label of {int.MaxValue} bytes; expected at most {VariantSummary.MaxLabelLength * 4}", error.Message);
    }

    [Fact]
    public void Summaries_of_different_accuracy_do_not_merge()
    {
        var error = Assert.Throws<ArgumentException>(() => new VariantSummary(0.01).Merge(new VariantSummary(0.005)));

        Assert.Contains("different relative accuracy", error.Message, StringComparison.Ordinal);
    }
}
