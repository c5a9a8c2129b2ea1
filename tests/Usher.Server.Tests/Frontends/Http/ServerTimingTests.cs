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

        Assert.Equal(expected, ServerTiming.Format(timings));
    }

    [Fact]
    public void Format_ACacheHit_IsNamed()
    {
        var timings = new InferenceTimings(TimeSpan.Zero, TimeSpan.Zero, CacheHit: true, TimeSpan.FromTicks(123));

        Assert.Equal("queue;dur=0, compute;dur=0, total;dur=0.012, cache;desc=\"hit\"", ServerTiming.Format(timings));
    }

    [Fact]
    public void Format_WithStages_SplitsTheOverheadByStage()
    {
        // Handler start at 0; body read at 12 µs; decoded at 17 µs; the version answered at 39 µs, of
        // which 1 µs was queue and 12 µs compute: 26 µs of overhead, 12 + 5 + 9.
        var timings = new InferenceTimings(Micros(1), Micros(12), CacheHit: false, Micros(39));
        var stages = new TimingStages(Read: Micros(12), Decode: Micros(5));

        Assert.Equal(
            "queue;dur=0.001, compute;dur=0.012, total;dur=0.039, read;dur=0.012, decode;dur=0.005, run;dur=0.009",
            ServerTiming.Format(timings, stages));
    }

    [Fact]
    public void Format_WithStages_WritesAStageTheClocksMakeNegativeAsZero()
    {
        // A version measuring on a clock of its own: its total shorter than the frontend's read and decode.
        var timings = new InferenceTimings(TimeSpan.Zero, Micros(5), CacheHit: false, Micros(6));
        var stages = new TimingStages(Read: Micros(2), Decode: Micros(1));

        Assert.EndsWith("run;dur=0", ServerTiming.Format(timings, stages), StringComparison.Ordinal);
    }

    private static TimeSpan Micros(long micros) => TimeSpan.FromTicks(micros * 10);
}
