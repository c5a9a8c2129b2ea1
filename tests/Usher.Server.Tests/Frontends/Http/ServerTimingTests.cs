using System.Globalization;
using Usher.Core.Inference;
using Usher.Server.Frontends.Http;

namespace Usher.Server.Tests.Frontends.Http;

/// <summary>
/// The Server-Timing header is written from ticks, not through number formatting; it must read
/// exactly as .NET's "0.###" of each duration's milliseconds (the header clients and `usher bench` parse).
/// </summary>
public sealed class ServerTimingTests
{
    public static TheoryData<long> Ticks()
    {
        var data = new TheoryData<long>
        {
            0, 1, 4, 5, 6, 9, 10, 15, 25, 95, 104_995, 105, 125, 9_995, 10_000, 10_005, 123_456, 999_995,
            TimeSpan.FromSeconds(1).Ticks, TimeSpan.FromMinutes(7).Ticks + 12_345, TimeSpan.FromHours(30).Ticks + 9_999,
        };
        var random = new Random(12);
        for (var i = 0; i < 200; i++)
        {
            data.Add(random.NextInt64(0, 50_000_000));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Ticks))]
    public void Format_ReadsAsTheNumberFormat_ForEveryDuration(long ticks)
    {
        var queue = TimeSpan.FromTicks(ticks);
        var compute = TimeSpan.FromTicks(ticks / 3);
        var total = TimeSpan.FromTicks((ticks * 2) + 7);
        var timings = new InferenceTimings(queue, compute, CacheHit: false, total);

        var expected = string.Create(
            CultureInfo.InvariantCulture,
            $"queue;dur={queue.TotalMilliseconds:0.###}, compute;dur={compute.TotalMilliseconds:0.###}, total;dur={total.TotalMilliseconds:0.###}");

        Assert.Equal(expected, ServerTiming.Format(timings, total));
    }

    [Fact]
    public void Format_ACacheHit_IsNamed()
    {
        var timings = new InferenceTimings(TimeSpan.Zero, TimeSpan.Zero, CacheHit: true, TimeSpan.FromTicks(123));

        Assert.Equal("queue;dur=0, compute;dur=0, total;dur=0.012, cache;desc=\"hit\"", ServerTiming.Format(timings, TimeSpan.FromTicks(123)));
    }

    [Fact]
    public void Format_WithStages_SplitsTheOverheadByStage()
    {
        // Handler start at 0; body read at 12 µs; decoded at 17 µs; the router returns at 37 µs, of which
        // the version measured 17 µs (1 µs queue, 12 µs compute); the header is written at 39 µs.
        var timings = new InferenceTimings(Micros(1), Micros(12), CacheHit: false, Micros(17));
        var stages = new TimingStages(Started: At(0), Read: At(12), Decoded: At(17), Routed: At(37));

        Assert.Equal(
            "queue;dur=0.001, compute;dur=0.012, total;dur=0.039, read;dur=0.012, decode;dur=0.005, route;dur=0.003, version;dur=0.004, respond;dur=0.002",
            ServerTiming.Format(timings, Micros(39), stages));
    }

    [Fact]
    public void Format_WithStages_WritesAStageTheClocksMakeNegativeAsZero()
    {
        // The version's own measurement (on the scheduling clock) longer than the router's call.
        var timings = new InferenceTimings(TimeSpan.Zero, Micros(5), CacheHit: false, Micros(30));
        var stages = new TimingStages(Started: At(1000), Read: At(1002), Decoded: At(1003), Routed: At(1023));

        Assert.Contains("route;dur=0,", ServerTiming.Format(timings, Micros(25), stages), StringComparison.Ordinal);
    }

    private static TimeSpan Micros(long micros) => TimeSpan.FromTicks(micros * 10);

    private static long At(long micros) => micros * System.Diagnostics.Stopwatch.Frequency / 1_000_000;
}
