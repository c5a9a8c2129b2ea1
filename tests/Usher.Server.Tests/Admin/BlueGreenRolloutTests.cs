using System.Collections.Concurrent;
using System.Globalization;
using System.Net;

namespace Usher.Server.Tests.Admin;

/// <summary>Blue-green rollouts end to end: validation, the switch under load, the rollback window.</summary>
public sealed class BlueGreenRolloutTests
{
    private const int WarmRows = 100;

    private static object BlueGreen(int version, object? agreement) => new
    {
        endpoint = RolloutHarness.Endpoint,
        version,
        strategy = "blue-green",
        blue_green = new { rollback_window = "10m", validation = new { agreement } },
        analysis = new { min_requests = 50, min_predictions = 50 },
    };

    // Probabilities differ by at most 1, so a tolerance of 1 on them always agrees (labels are compared
    // exactly, and v2 flips a few): the switch itself is under test.
    private static object AlwaysAgrees => new { samples = 20, tolerance = 1.0, outputs = new[] { "probabilities" } };

    [Fact]
    public async Task Switch_UnderConcurrentLoad_LosesNoRequestAndThenServesOnlyTheNewVersion()
    {
        await using var h = await RolloutHarness.StartAsync([1], kestrel: true);
        await WarmAsync(h);
        h.AddVersion(2);
        await h.LoadAsync();

        var results = new ConcurrentBag<(bool AfterSwitch, HttpStatusCode Status, string? Variant)>();
        var switched = 0;
        var before = 0;
        var after = 0;
        var loaded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var served = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource();
        var clients = Enumerable.Range(0, 4).Select(c => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var startedAfterSwitch = Volatile.Read(ref switched) == 1;
                using var response = await h.InferAsync(i, key: $"client-{c}-{i}");
                results.Add((startedAfterSwitch, response.StatusCode, RolloutHarness.Variant(response)));
                if (startedAfterSwitch ? Interlocked.Increment(ref after) >= 40 : Interlocked.Increment(ref before) >= 40)
                {
                    (startedAfterSwitch ? served : loaded).TrySetResult();
                }
            }
        })).ToList();

        await loaded.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var deployed = await h.DeployAsync(BlueGreen(2, AlwaysAgrees));
        Volatile.Write(ref switched, 1);
        await served.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await stop.CancelAsync();
        await Task.WhenAll(clients);

        Assert.True(deployed.GetProperty("phase").GetString() == "rollback_window", deployed.ToString());
        Assert.All(results, r => Assert.Equal(HttpStatusCode.OK, r.Status));
        Assert.All(results, r => Assert.Contains(r.Variant, new[] { "fraud:1", "fraud:2" }));
        Assert.All(results.Where(r => r.AfterSwitch), r => Assert.Equal("fraud:2", r.Variant));
        Assert.Contains(results, r => !r.AfterSwitch && r.Variant == "fraud:1");
        Assert.True(results.Count(r => r.AfterSwitch) >= 40);
        Assert.Equal(new Dictionary<string, double> { ["fraud:2"] = 100 }, await h.WeightsAsync());
        Assert.True(h.IsLoaded(1), "the old version stays loaded during the rollback window");
    }

    [Fact]
    public async Task Rollback_DuringTheRollbackWindow_IsInstantOnTheStillLoadedOldVersion()
    {
        await using var h = await RolloutHarness.StartAsync([1]);
        await WarmAsync(h);
        h.AddVersion(2);
        await h.LoadAsync();
        var deployed = await h.DeployAsync(BlueGreen(2, AlwaysAgrees));
        Assert.True(deployed.GetProperty("phase").GetString() == "rollback_window", deployed.ToString());
        Assert.Equal((HttpStatusCode.OK, "fraud:2"), await h.CallAsync(1, key: "k"));
        var old = h.App.Models.Find("fraud")!.Find(1)!.Loaded;
        Assert.NotNull(old);

        await h.AdvanceAsync(TimeSpan.FromMinutes(5));
        Assert.Equal("rollback_window", (await h.RolloutAsync()).GetProperty("phase").GetString());
        var rolledBack = await h.ActAsync("rollback");

        Assert.Equal("rolled_back", rolledBack.GetProperty("phase").GetString());
        Assert.Equal((HttpStatusCode.OK, "fraud:1"), await h.CallAsync(1, key: "k"));

        // The very instance that served before the switch: nothing was loaded again.
        Assert.Same(old, h.App.Models.Find("fraud")!.Find(1)!.Loaded);
        Assert.False(h.IsLoaded(2));
        var rollback = (await h.HistoryAsync()).Last();
        Assert.Equal("rollback", rollback.GetProperty("kind").GetString());
        Assert.Equal("operator", rollback.GetProperty("actor").GetString());
    }

    [Fact]
    public async Task RollbackWindow_AfterARestart_KeepsTheOldVersionLoadedForAnInstantRollback()
    {
        await using var h = await RolloutHarness.StartAsync([1]);
        await WarmAsync(h);
        h.AddVersion(2);
        await h.LoadAsync();
        var deployed = await h.DeployAsync(BlueGreen(2, AlwaysAgrees));
        await h.AdvanceAsync(TimeSpan.FromMinutes(3));

        await h.RestartAsync();

        var resumed = await h.RolloutAsync();
        Assert.Equal(deployed.GetProperty("id").GetInt64(), resumed.GetProperty("id").GetInt64());
        Assert.Equal("rollback_window", resumed.GetProperty("phase").GetString());
        Assert.Equal(deployed.GetProperty("rollback_window_ends_at").GetDateTimeOffset(), resumed.GetProperty("rollback_window_ends_at").GetDateTimeOffset());
        Assert.Equal("resume", (await h.HistoryAsync()).Last().GetProperty("kind").GetString());
        Assert.Equal((HttpStatusCode.OK, "fraud:2"), await h.CallAsync(1, key: "k"));
        Assert.True(h.IsLoaded(1));
        var old = h.App.Models.Find("fraud")!.Find(1)!.Loaded;

        await h.ActAsync("rollback");

        Assert.Equal((HttpStatusCode.OK, "fraud:1"), await h.CallAsync(1, key: "k"));
        Assert.Same(old, h.App.Models.Find("fraud")!.Find(1)!.Loaded);
    }

    [Fact]
    public async Task RollbackWindow_WhenItEnds_CompletesAndUnloadsTheOldVersion()
    {
        await using var h = await RolloutHarness.StartAsync([1]);
        await WarmAsync(h);
        h.AddVersion(2);
        await h.LoadAsync();
        await h.DeployAsync(BlueGreen(2, AlwaysAgrees));
        for (var i = 0; i < WarmRows; i++)
        {
            Assert.Equal((HttpStatusCode.OK, "fraud:2"), await h.CallAsync(i, key: "k" + i.ToString(CultureInfo.InvariantCulture)));
        }

        await h.AdvanceAsync(TimeSpan.FromMinutes(9));
        var during = await h.RolloutAsync();
        Assert.True(during.GetProperty("phase").GetString() == "rollback_window", during.ToString());
        Assert.True(h.IsLoaded(1));

        await h.AdvanceAsync(TimeSpan.FromMinutes(1));
        Assert.Equal("succeeded", (await h.RolloutAsync()).GetProperty("phase").GetString());
        Assert.False(h.IsLoaded(1));
    }

    [Fact]
    public async Task Validation_ThatFails_AbortsWithTheReasonAndNoRequestEverSeesTheNewVersion()
    {
        await using var h = await RolloutHarness.StartAsync([1]);
        var variants = new List<string?>();
        for (var i = 0; i < 30; i++)
        {
            variants.Add((await h.CallAsync(i, key: "warm-" + i.ToString(CultureInfo.InvariantCulture))).Variant);
        }

        h.AddVersion(2);
        await h.LoadAsync();
        var aborted = await h.DeployAsync(BlueGreen(2, new { samples = 20, tolerance = 0.0 }));

        Assert.Equal("aborted", aborted.GetProperty("phase").GetString());
        var reason = aborted.GetProperty("reason").GetString()!;
        Assert.Contains("validation failed", reason, StringComparison.Ordinal);
        Assert.Contains("0 of 20 recorded requests agree", reason, StringComparison.Ordinal);
        Assert.Contains("first difference", reason, StringComparison.Ordinal);
        for (var i = 0; i < 30; i++)
        {
            variants.Add((await h.CallAsync(i, key: "after-" + i.ToString(CultureInfo.InvariantCulture))).Variant);
        }

        Assert.All(variants, v => Assert.Equal("fraud:1", v));
        Assert.Equal(new Dictionary<string, double> { ["fraud:1"] = 100 }, await h.WeightsAsync());
        Assert.False(h.IsLoaded(2));
        var abort = (await h.HistoryAsync()).Last();
        Assert.Equal("abort", abort.GetProperty("kind").GetString());
        Assert.Equal(reason, abort.GetProperty("message").GetString());
    }

    // Blue-green validation replays recorded requests, and the rollback window's analysis compares the
    // new version with what the old one served: give the endpoint traffic. (The drift check's PSI over
    // deciles needs about a hundred predictions: with 30 it reads above 0.2 on identical inputs.)
    private static async Task WarmAsync(RolloutHarness h)
    {
        for (var i = 0; i < WarmRows; i++)
        {
            Assert.Equal((HttpStatusCode.OK, "fraud:1"), await h.CallAsync(i, key: "warm-" + i.ToString(CultureInfo.InvariantCulture)));
        }
    }
}
