using Usher.Cli.Bench;

namespace Usher.Cli.Tests.Bench;

/// <summary>The closed loop's measured window, on tick numbers given by hand.</summary>
public sealed class ClosedLoopWindowTests
{
    [Fact]
    public void FirstAnswersAfterTheWarmup_OpenTheWindowAtTheLastOne_ForTheWholeDuration()
    {
        // Warm-up from 0 to 100, 50 long windows, 3 workers whose first answers arrive at 40, 180 and 250
        // (a fresh client's first requests on a busy machine): a window fixed at [100, 150) held none of them.
        var window = new ClosedLoopWindow(3, start: 0, warmupEnds: 100, durationTicks: 50);

        window.FirstAnswer(40);
        window.FirstAnswer(180);
        Assert.False(window.Contains(110, 140)); // not open yet: one worker still waits for its first answer
        Assert.Equal(long.MaxValue, window.Until);
        window.FirstAnswer(250);

        Assert.Equal((250L, 300L), (window.From, window.Until));
        Assert.True(window.Contains(250, 300));
        Assert.False(window.Contains(249, 260)); // started before
        Assert.False(window.Contains(260, 301)); // finished after
    }

    [Fact]
    public void FirstAnswersWithinTheWarmup_LeaveTheWindowWhereTheWarmupEnds()
    {
        var window = new ClosedLoopWindow(2, start: 0, warmupEnds: 100, durationTicks: 50);

        window.FirstAnswer(10);
        window.FirstAnswer(30);

        Assert.Equal((100L, 150L), (window.From, window.Until));
    }

    [Fact]
    public void NoWarmup_OpensAtTheStart_TheColdStartMeasured()
    {
        var window = new ClosedLoopWindow(2, start: 1_000, warmupEnds: 1_000, durationTicks: 50);

        Assert.Equal((1_000L, 1_050L), (window.From, window.Until));
        window.FirstAnswer(1_040);
        window.FirstAnswer(1_060);
        Assert.Equal((1_000L, 1_050L), (window.From, window.Until));
    }
}
