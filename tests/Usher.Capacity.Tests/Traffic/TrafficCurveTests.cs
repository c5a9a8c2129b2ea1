using Usher.Capacity.Traffic;

namespace Usher.Capacity.Tests.Traffic;

public sealed class TrafficCurveTests
{
    [Fact]
    public void Diurnal_HasItsTroughAtFourAndPeakAtSixteen()
    {
        var day = TrafficCurve.Diurnal(1000, spikeAtHour: 11, spikeMinutes: 15);
        Assert.Equal(86_400, day.DurationSeconds);

        // Minute 04:00 is centred half a minute after the trough: 0.2 + 0.8 (1 - cos(2 pi 0.5/1440)) / 2 ~ 0.2.
        Assert.Equal(200, day.RateAt((4 * 3600) + 30), 0);
        Assert.Equal(1000, day.RateAt((16 * 3600) - 30), 0);

        // The spike doubles 11:00-11:15 and ends there.
        var before = day.RateAt((11 * 3600) - 30);
        Assert.Equal(2 * (0.2 + (0.8 * (1 - Math.Cos(2 * Math.PI * (11 + (0.5 / 60) - 4) / 24)) / 2)) * 1000, day.RateAt((11 * 3600) + 30), 6);
        Assert.True(day.RateAt((11 * 3600) + (15 * 60) + 30) < 1.1 * before);
    }

    [Fact]
    public void FromCsv_HoldsEachRateForItsSeconds()
    {
        var problems = new List<string>();
        var curve = TrafficCurve.FromCsv("seconds,rps\n2,10\n3,20.5\n", problems);
        Assert.Empty(problems);
        Assert.NotNull(curve);
        Assert.Equal(5, curve.DurationSeconds);
        Assert.Equal([10, 10, 20.5, 20.5, 20.5], Enumerable.Range(0, 5).Select(curve.RateAt));
    }

    [Fact]
    public void FromCsv_NamesTheBadLine()
    {
        var problems = new List<string>();
        Assert.Null(TrafficCurve.FromCsv("10,5\nten,6\n0,3\n", problems));
        Assert.Equal(2, problems.Count);
        Assert.Contains("line 2", problems[0], StringComparison.Ordinal);
        Assert.Contains("line 3", problems[1], StringComparison.Ordinal);
    }
}
