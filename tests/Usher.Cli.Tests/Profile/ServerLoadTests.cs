using Usher.Cli.Profile;

namespace Usher.Cli.Tests.Profile;

/// <summary>The profile's cost model, against figures worked out by hand.</summary>
public sealed class ServerLoadTests
{
    [Fact]
    public void Capacity_IsCoresOverServerCpuPerAnswer()
    {
        // 2 cores, 400 µs of server CPU per answer: 2 / 0.000400 = 5,000 answers/s; 600 µs with the client's 200: 3,333.3.
        var load = new ServerLoad(2, 3000, 400, 200, null);

        Assert.Equal(5000, load.Capacity, 6);
        Assert.Equal(3333.333333, load.CapacitySharedWithClient, 5);
        Assert.Equal(0.6, load.ServerUtilization, 9);
    }

    [Fact]
    public void Predicted_WithTheClientOnTheServersCores_GivesTheClientsCpuBack()
    {
        // The client used 3,000/s x 200 µs = 0.6 of the 2 cores; the server gets them back: 3,000 x 2 / 1.4 = 4,285.7 (below the 5,000 capacity).
        var load = new ServerLoad(2, 3000, 400, 200, ClientCores: null);

        Assert.Equal(4285.714286, load.GivenBack, 5);
        Assert.Equal(load.GivenBack, load.Predicted);
    }

    [Fact]
    public void Predicted_NeverExceedsWhatTheServersCoresCanAnswer()
    {
        // 1 core, 400 µs per answer: 2,500/s at most. Giving back 2,000 x 300 µs = 0.6 core would claim 2,000 / 0.4 = 5,000.
        var capped = new ServerLoad(1, 2000, 400, 300, null);

        // A client that used more than every core (2,400 x 450 µs = 1.08 cores) leaves the capacity alone as the answer.
        var saturated = new ServerLoad(1, 2400, 400, 450, null);

        Assert.Equal(2500, capped.Predicted, 6);
        Assert.Equal(2500, saturated.Predicted, 6);
    }

    [Fact]
    public void Capacity_IsNeverBelowWhatTheServerAnswered()
    {
        // 1 core, 400 µs per answer over the whole run (warm-up included, where the JIT still compiles): 2,500/s.
        // Its window answered 3,000/s: the cores did that, so they can; the prediction is never below it either.
        var busy = new ServerLoad(1, 3000, 400, 300, null);
        var pinned = new ServerLoad(1, 3000, 400, 300, ClientCores: "1");

        Assert.Equal(3000, busy.Capacity, 6);
        Assert.Equal(1.0, busy.ServerUtilization, 9);
        Assert.Equal(3000, busy.Predicted, 6);
        Assert.Equal((3000.0, 3000.0), (pinned.Capacity, pinned.Predicted));
        // Nothing answered in the window (NaN) leaves the CPU's quotient.
        Assert.Equal(2500, new ServerLoad(1, double.NaN, 400, 300, null).Capacity, 6);
    }

    [Fact]
    public void Predicted_WithTheClientElsewhere_IsWhatTheClientMeasured()
    {
        var load = new ServerLoad(1, 1800, 400, 300, ClientCores: "1");

        Assert.Equal(1800, load.Predicted);
    }

    [Fact]
    public void From_DividesTheServersCpuByEveryAnswer()
    {
        // 1.5 s of CPU over 6,000 answers: 250 µs each.
        var load = ServerLoad.From(2, 4000, TimeSpan.FromSeconds(1.5), 6000, 120, "2,3");

        Assert.Equal(250, load.ServerCpuUsPerRequest, 9);
        Assert.Equal(8000, load.Capacity, 6);
        Assert.Equal("2,3", load.ClientCores);
        Assert.True(double.IsNaN(ServerLoad.From(2, 0, TimeSpan.FromSeconds(1), 0, 0, null).Capacity));
    }
}
