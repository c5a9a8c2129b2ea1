using System.Collections.Immutable;
using Microsoft.Extensions.Time.Testing;
using Usher.Core.Inference;
using Usher.Core.Repository;
using Usher.Core.Scheduling;
using Usher.Core.Telemetry;
using Usher.Core.Tests.Telemetry;
using Usher.Testing;

namespace Usher.Core.Tests.Repository;

/// <summary>
/// The memory budget: versions load on their first request, the least recently used idle versions are
/// evicted to make room, an active rollout's versions never are; on a fake clock and a fake backend.
/// </summary>
public sealed class ModelDensityTests : IAsyncDisposable
{
    // Files of 1,000 bytes, estimated at 2,000 each (factor 2): a budget of 4,000 holds two versions.
    private const int FileBytes = 1000;
    private const long TwoVersions = 4000;
    private static readonly TimeSpan LoadTimeout = TimeSpan.FromSeconds(60);

    private readonly TempDirectory _repo = new();
    private readonly FakeBackend _backend = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UnixEpoch);
    private readonly FakeProcessMemory _memory = new() { Resident = 50_000 };
    private readonly UsherMetrics _metrics = new();
    private readonly MeasurementRecorder _recorder;
    private ModelManager? _models;
    private int _unloadTimeoutSeconds = 30;

    public ModelDensityTests() => _recorder = new MeasurementRecorder(_metrics);

    public async ValueTask DisposeAsync()
    {
        if (_models is not null)
        {
            await _models.DisposeAsync();
        }

        _recorder.Dispose();
        _metrics.Dispose();
        _repo.Dispose();
    }

    // Each load adds twice its file to the fake RSS (footprint), as much as the estimate counts, unless a test says otherwise.
    private async Task<ModelManager> StartAsync(long budget, params string[] names) => await StartAsync(budget, 2 * FileBytes, names);

    private Task<ModelManager> StartAsync(long budget, long footprint, params string[] names)
    {
        foreach (var name in names)
        {
            FakeBackend.Write(_repo.Path, name, 1, FileBytes);
        }

        _backend.Memory = _memory;
        _backend.Footprint = footprint;
        _models = new ModelManager(
            _backend,
            new RepositoryOptions { Path = _repo.Path, UnloadTimeoutSeconds = _unloadTimeoutSeconds },
            scheduling: new SchedulingContext(new SchedulingOptions(), _metrics, _time),
            density: new DensitySettings(budget, LoadTimeout, SizeFactor: 2),
            memory: _memory);
        return Task.FromResult(_models);
    }

    // One request's lease, taken and given back at the current fake time.
    private async Task UseAsync(string name)
    {
        var lease = await _models!.AcquireAsync(name, null, CancellationToken.None);
        Assert.True(lease.IsSuccess, lease.Error?.Message);
        lease.Value.Release();
        _time.Advance(TimeSpan.FromSeconds(1));
    }

    private IReadOnlyList<string> LoadedNow()
        => [.. _models!.Models.SelectMany(m => m.Versions.Where(v => v.Loaded is not null).Select(v => $"{m.Name}:{v.Version}")).Order()];

    [Fact]
    public async Task Start_RegistersEveryVersion_LoadsNone_AndIsReady()
    {
        var models = await StartAsync(TwoVersions, "a", "b", "c");

        await models.LoadAllAsync(CancellationToken.None);

        Assert.Equal(0, _backend.Loads);
        Assert.True(models.IsReady);
        Assert.All(models.Models, m => Assert.True(Assert.Single(m.Versions).OnDemand));
        Assert.All(models.Index(), row => Assert.False(row.Loaded));
        Assert.Equal(ModelState.Ready, models.Find("a")!.State);
    }

    [Fact]
    public async Task FirstRequest_LoadsTheVersion_AndALoadOverTheBudgetEvictsTheLeastRecentlyUsedIdleOne()
    {
        var models = await StartAsync(TwoVersions, "a", "b", "c");
        await models.LoadAllAsync(CancellationToken.None);

        await UseAsync("a");
        await UseAsync("b");
        await UseAsync("a"); // a is now more recent than b
        Assert.Equal(["a:1", "b:1"], LoadedNow());
        Assert.Equal(2, _backend.Loads);

        await UseAsync("c");

        Assert.Equal(["a:1", "c:1"], LoadedNow());
        Assert.Equal(2, _backend.Live); // three loads, b's session released
        var b = Assert.Single(models.Find("b")!.Versions);
        Assert.True(b.OnDemand);
        Assert.Equal(DateTimeOffset.UnixEpoch.AddSeconds(1), b.LastUsed); // its request at t=1 s
        Assert.Equal(DateTimeOffset.UnixEpoch.AddSeconds(2), models.Find("a")!.Versions[0].Loaded!.LastUsed);
        var evicted = Assert.Single(_recorder.Of("usher_model_evictions"));
        Assert.Equal("b", evicted.Labels["model"]);
        Assert.Equal(3, _recorder.Of("usher_model_load_duration_seconds").Count);

        // b comes back on its next request, in place of a (now the least recent: used at 2 s, c at 3 s).
        await UseAsync("b");
        Assert.Equal(["b:1", "c:1"], LoadedNow());
        Assert.Equal(4, _backend.Loads);
        Assert.Equal(2, _backend.Live);
    }

    [Fact]
    public async Task AVersionPinnedByARollout_LoadsAtOnce_AndIsNeverEvicted_EvenWhenLeastRecentlyUsed()
    {
        var models = await StartAsync(TwoVersions, "a", "b", "c");
        models.SetPins("a", new VersionPins([1], []) { Resident = [1] });
        await models.LoadAllAsync(CancellationToken.None);
        Assert.Equal(["a:1"], LoadedNow());

        await UseAsync("b");
        await UseAsync("c"); // a (loaded at 0 s, never used) is the least recent; b goes instead

        Assert.Equal(["a:1", "c:1"], LoadedNow());
        Assert.True(models.Find("b")!.Versions[0].OnDemand);
    }

    [Fact]
    public async Task VersionsPinnedAtStart_LoadThroughTheAdmission_SoTheyNeverGoOverTheBudget()
    {
        // Three pinned versions of 2,000 each, a budget for two: before, all three loaded beside the budget.
        var models = await StartAsync(TwoVersions, "a", "b", "c");
        foreach (var name in new[] { "a", "b", "c" })
        {
            models.SetPins(name, new VersionPins([1], []) { Resident = [1] });
        }

        await models.LoadAllAsync(CancellationToken.None);

        Assert.Equal(2, LoadedNow().Count);
        Assert.True(_memory.HighWater <= 50_000 + TwoVersions, $"peak {_memory.HighWater - 50_000} above the base, budget {TwoVersions}");
        var left = Assert.Single(models.Models, m => m.Versions[0].Loaded is null);
        Assert.True(left.Versions[0].OnDemand);
        Assert.Contains("pinned by a rollout", left.Versions[0].Reason, StringComparison.Ordinal);

        // Asked again (as the rollout's route keeper does), it is refused with the reason: nothing can be evicted.
        var again = await models.LoadModelAsync(left.Name, CancellationToken.None);
        Assert.Equal(InferenceErrorKind.Unavailable, again.Error!.Kind);
        Assert.Contains("version 1 is pinned by a rollout but did not load", again.Error.Message, StringComparison.Ordinal);
        Assert.Contains("busy or pinned", again.Error.Message, StringComparison.Ordinal);
        Assert.Equal(2, _backend.Loads);
    }

    [Fact]
    public async Task AVersionPinnedLater_EvictsTheLeastRecentlyUsedIdleVersion_ToLoadWithinTheBudget()
    {
        var models = await StartAsync(TwoVersions, "a", "b", "c");
        await models.LoadAllAsync(CancellationToken.None);
        await UseAsync("a");
        await UseAsync("b"); // the budget is full; a is the least recent

        models.SetPins("c", new VersionPins([1], []) { Resident = [1] });
        var loaded = await models.LoadModelAsync("c", CancellationToken.None);

        Assert.True(loaded.IsSuccess, loaded.Error?.Message);
        Assert.NotNull(Assert.Single(loaded.Value.Versions).Loaded); // the entry answered is the one with c loaded
        Assert.Equal(["b:1", "c:1"], LoadedNow());
        Assert.Equal("a", Assert.Single(_recorder.Of("usher_model_evictions")).Labels["model"]);
        Assert.True(_memory.HighWater <= 50_000 + TwoVersions, $"peak {_memory.HighWater - 50_000} above the base, budget {TwoVersions}");
    }

    [Fact]
    public async Task AVictimThatTookALeaseSinceItWasChosen_IsSkipped_AtOnce_AndKeepsServing()
    {
        // An hour to drain: an eviction that waited for the request would not come back within the test.
        _unloadTimeoutSeconds = 3600;
        var models = await StartAsync(TwoVersions, "a", "b");
        await models.LoadAllAsync(CancellationToken.None);
        await UseAsync("a");
        var chosen = models.Find("a")!.Versions[0]; // idle when chosen, as EvictionOrder.Choose saw it
        var request = await models.AcquireAsync("a", null, CancellationToken.None); // the race: a lease taken after the choice

        var evicted = await models.Density!.TryEvictAsync("a", chosen, CancellationToken.None);

        Assert.False(evicted);
        Assert.Equal(["a:1"], LoadedNow());
        Assert.Same(chosen.Loaded, models.Find("a")!.Versions[0].Loaded); // the same session, not retired
        Assert.Empty(_recorder.Of("usher_model_evictions"));
        Assert.Equal(1, _backend.Live);
        var another = await models.AcquireAsync("a", null, CancellationToken.None); // still takes leases
        Assert.Same(request.Value, another.Value);
        another.Value!.Release();
        request.Value!.Release();

        // Idle again: evicted at once, its session released, its next request loads it again.
        Assert.True(await models.Density.TryEvictAsync("a", models.Find("a")!.Versions[0], CancellationToken.None));
        Assert.Empty(LoadedNow());
        Assert.Equal(0, _backend.Live);
        await UseAsync("a");
        Assert.Equal(2, _backend.Loads);
    }

    [Fact]
    public async Task ALoadWhoseVictimIsBusy_EvictsTheNextIdleOne_WithoutWaitingForTheRequest()
    {
        _unloadTimeoutSeconds = 3600;
        var models = await StartAsync(TwoVersions, "a", "b", "c");
        await models.LoadAllAsync(CancellationToken.None);
        await UseAsync("a");
        await UseAsync("b"); // a is the least recent
        var request = await models.AcquireAsync("a", null, CancellationToken.None); // and now busy

        await UseAsync("c");

        Assert.Equal(["a:1", "c:1"], LoadedNow()); // b went instead, and the load never waited for a's request
        Assert.Equal(1, request.Value!.InFlight);
        request.Value!.Release();
    }

    [Fact]
    public async Task WhenEveryLoadedVersionIsBusyOrPinned_ALoadIsRefusedWith503_AndNothingIsEvicted()
    {
        var models = await StartAsync(TwoVersions, "a", "b", "c");
        models.SetPins("a", new VersionPins([1], []) { Resident = [1] });
        await models.LoadAllAsync(CancellationToken.None);
        var busy = await models.AcquireAsync("b", null, CancellationToken.None);
        Assert.True(busy.IsSuccess);

        var refused = await models.AcquireAsync("c", null, CancellationToken.None);

        Assert.Equal(InferenceErrorKind.Unavailable, refused.Error!.Kind);
        Assert.Contains("busy or pinned", refused.Error.Message, StringComparison.Ordinal);
        Assert.Equal(["a:1", "b:1"], LoadedNow());

        busy.Value.Release();
        await UseAsync("c");
        Assert.Equal(["a:1", "c:1"], LoadedNow());
    }

    [Fact]
    public async Task ConcurrentFirstRequests_ShareOneLoad()
    {
        var models = await StartAsync(TwoVersions, "a");
        await models.LoadAllAsync(CancellationToken.None);
        _backend.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var waiting = Enumerable.Range(0, 5).Select(_ => models.AcquireAsync("a", 1, CancellationToken.None).AsTask()).ToList();
        Assert.All(waiting, w => Assert.False(w.IsCompleted));
        _backend.Gate.SetResult();
        var leases = await Task.WhenAll(waiting);

        Assert.Equal(1, _backend.Loads);
        Assert.All(leases, l => Assert.Same(leases[0].Value, l.Value));
        Assert.Equal(5, leases[0].Value!.InFlight);
        foreach (var lease in leases)
        {
            lease.Value!.Release();
        }
    }

    [Fact]
    public async Task ALoadLongerThanTheTimeout_Answers503_AndGoesOnForTheNextRequest()
    {
        var models = await StartAsync(TwoVersions, "a");
        await models.LoadAllAsync(CancellationToken.None);
        _backend.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var first = models.AcquireAsync("a", null, CancellationToken.None).AsTask();
        _time.Advance(LoadTimeout - TimeSpan.FromSeconds(1));
        Assert.False(first.IsCompleted);
        _time.Advance(TimeSpan.FromSeconds(1));
        var timedOut = await first;

        Assert.Equal(InferenceErrorKind.Unavailable, timedOut.Error!.Kind);
        Assert.Contains("server.model_load_timeout_seconds", timedOut.Error.Message, StringComparison.Ordinal);

        _backend.Gate.SetResult();
        var second = await models.AcquireAsync("a", null, CancellationToken.None);
        Assert.True(second.IsSuccess, second.Error?.Message);
        Assert.Equal(1, _backend.Loads);
        second.Value.Release();
    }

    [Fact]
    public async Task AVersionLargerThanTheWholeBudget_IsRefusedNamingBothSizes()
    {
        var models = await StartAsync(1500, "a");
        await models.LoadAllAsync(CancellationToken.None);

        var refused = await models.AcquireAsync("a", null, CancellationToken.None);

        Assert.Equal(InferenceErrorKind.Unavailable, refused.Error!.Kind);
        Assert.Contains("about 2 KiB", refused.Error.Message, StringComparison.Ordinal); // 2,000 bytes
        Assert.Contains("budget of 1.5 KiB", refused.Error.Message, StringComparison.Ordinal); // 1,500 bytes
        Assert.Equal(0, _backend.Loads);
    }

    [Fact]
    public async Task AnExplicitLoad_RegistersTheVersions_AndSucceeds()
    {
        var models = await StartAsync(TwoVersions, "a");
        await models.LoadAllAsync(CancellationToken.None);

        var loaded = await models.LoadModelAsync("a", CancellationToken.None);

        Assert.True(loaded.IsSuccess, loaded.Error?.Message);
        Assert.True(Assert.Single(loaded.Value.Versions).OnDemand);
        Assert.Equal(0, _backend.Loads);
    }

    [Fact]
    public async Task AfterTheFirstLoadOfAFile_EveryVersionOfThatFileIsCountedByItsMeasuredFootprint_NotTheEstimate()
    {
        // Loads measured at 1,000 bytes (the file's size), estimated at 2,000: the budget of 4,000 holds
        // two by the estimate, four by the measurement. The four files are identical (1,000 zeros).
        var models = await StartAsync(TwoVersions, footprint: FileBytes, "a", "b", "c", "d");
        FakeBackend.Write(_repo.Path, "other", 1, FileBytes, fill: 7); // same size, other content
        await models.LoadAllAsync(CancellationToken.None);
        Assert.All(models.Models, m => Assert.Equal(2 * FileBytes, m.Versions[0].Source!.EstimatedBytes));

        await UseAsync("a");
        var a = models.Find("a")!.Versions[0];
        Assert.True(a.Source!.Measured);
        Assert.Equal(FileBytes, a.Source.EstimatedBytes);

        await UseAsync("b");
        await UseAsync("c");
        await UseAsync("d");

        Assert.Equal(["a:1", "b:1", "c:1", "d:1"], LoadedNow());
        Assert.Empty(_recorder.Of("usher_model_evictions"));
        Assert.Equal(4 * FileBytes, models.Density!.UsedBytes);
        Assert.Equal(1, models.Density.Footprints.Count);

        // A file of other content has no measurement: its estimate (2,000) makes it evict two (least recent: a, b).
        await UseAsync("other");
        Assert.Equal(["c:1", "d:1", "other:1"], LoadedNow());
        Assert.Equal(2, _recorder.Of("usher_model_evictions").Count);
        Assert.Equal(2, models.Density.Footprints.Count);
    }

    [Fact]
    public async Task AFootprintMeasuredAboveTheEstimate_CountsForMore_SoFewerVersionsStayLoaded()
    {
        // Measured at 3,000 (more than the estimate of 2,000): the budget of 4,000 holds one, not two.
        var models = await StartAsync(TwoVersions, footprint: 3 * FileBytes, "a", "b");
        await models.LoadAllAsync(CancellationToken.None);

        await UseAsync("a");
        Assert.Equal(3 * FileBytes, models.Density!.UsedBytes);
        await UseAsync("b");

        Assert.Equal(["b:1"], LoadedNow());
        Assert.Equal("a", Assert.Single(_recorder.Of("usher_model_evictions")).Labels["model"]);
        // The fake RSS holds the one loaded version: the evicted session's bytes went back.
        Assert.Equal(50_000 + (3 * FileBytes), _memory.Resident);
    }

    [Fact]
    public async Task MemoryTheLoadedVersionsDoNotAccountFor_CountsAgainstTheBudget_AsOverhead()
    {
        // Loads measured at the file (1,000): four fit the budget of 4,000, until the RSS grows by 2,000
        // that no version accounts for (a runtime's one-time costs, memory an allocator keeps).
        var models = await StartAsync(TwoVersions, footprint: FileBytes, "a", "b", "c");
        await models.LoadAllAsync(CancellationToken.None);
        await UseAsync("a");
        Assert.Equal(0, models.Density!.Meter.Overhead);

        _memory.Add(2 * FileBytes);
        await UseAsync("b");
        Assert.Equal(2 * FileBytes, models.Density.Meter.Overhead);
        Assert.Equal(4 * FileBytes, models.Density.UsedBytes);

        await UseAsync("c"); // 1,000 more does not fit: a (least recent) goes

        Assert.Equal(["b:1", "c:1"], LoadedNow());
        Assert.Equal(4 * FileBytes, models.Density.UsedBytes);
    }

    [Fact]
    public async Task WhatALoadNeedsOnlyWhileItRuns_IsHeldFreeForTheNextLoad()
    {
        // Each load keeps 1,000 and needs 1,500 more while it runs: the next load makes room for 2,500.
        var models = await StartAsync(TwoVersions, footprint: FileBytes, "a", "b", "c");
        _backend.Transient = 1500;
        await models.LoadAllAsync(CancellationToken.None);
        await UseAsync("a");
        Assert.Equal(1500, models.Density!.Meter.Headroom);

        await UseAsync("b"); // 1,000 + 2,500 fits 4,000
        Assert.Equal(["a:1", "b:1"], LoadedNow());
        await UseAsync("c"); // 2,000 + 2,500 does not: a goes

        Assert.Equal(["b:1", "c:1"], LoadedNow());
        Assert.Equal(2 * FileBytes, models.Density.UsedBytes); // the headroom is held only during a load
    }

    [Fact]
    public async Task AMeasurementBelowTheFileSize_IsCountedAsTheFile()
    {
        var models = await StartAsync(TwoVersions, footprint: 10, "a");
        await models.LoadAllAsync(CancellationToken.None);

        await UseAsync("a");

        Assert.Equal(FileBytes, models.Find("a")!.Versions[0].Source!.EstimatedBytes);
    }

    [Fact]
    public async Task AnEviction_AndAnExplicitUnload_GiveTheFreedMemoryBack_AfterTheSessionIsReleased()
    {
        var models = await StartAsync(TwoVersions, "a", "b", "c");
        await models.LoadAllAsync(CancellationToken.None);
        var liveAtTrim = new List<int>();
        _memory.OnTrim = () => liveAtTrim.Add(_backend.Live);
        await UseAsync("a");
        await UseAsync("b");
        var beforeEviction = _memory.Trims;

        await UseAsync("c"); // evicts a

        Assert.Contains(1, liveAtTrim.Skip(beforeEviction)); // a trim after a's release, before c loaded
        var beforeUnload = _memory.Trims;
        var unloaded = await models.UnloadModelAsync("b", CancellationToken.None);
        Assert.True(unloaded.IsSuccess, unloaded.Error?.Message);

        Assert.Equal(beforeUnload + 1, _memory.Trims);
        Assert.Equal(1, liveAtTrim[^1]); // b's session was released when the trim ran; c's remains
    }

    [Fact]
    public async Task UnderABudget_SessionsAreAskedToGiveTheirMemoryBack_WithoutOne_TheyAreNot()
    {
        var models = await StartAsync(TwoVersions, "a");
        await models.LoadAllAsync(CancellationToken.None);
        await UseAsync("a");
        Assert.True(_backend.LastContext!.ReturnsMemory);

        var backend = new FakeBackend();
        await using var unbudgeted = new ModelManager(backend, new RepositoryOptions { Path = _repo.Path }, memory: _memory);
        await unbudgeted.LoadAllAsync(CancellationToken.None);
        var trims = _memory.Trims;
        await unbudgeted.UnloadModelAsync("a", CancellationToken.None);

        Assert.False(backend.LastContext!.ReturnsMemory);
        Assert.Equal(trims + 1, _memory.Trims); // the allocator is trimmed on every unload, budget or not (ModelManagerTests)
    }

    [Fact]
    public async Task TwoFirstLoadsAtOnce_NeverJointlyOverrunTheBudget_TheSecondWaitsForTheFirstsMeasurement()
    {
        // Each load keeps 2,000 (its estimate) and needs 2,500 more while it runs, which nothing knows
        // before a load is measured. Admitted side by side at their estimates (2,000 + 2,000 of 6,000),
        // the second load would peak at 2,000 + 2,000 + 2,500 = 6,500 above the base.
        const long budget = 6000;
        _unloadTimeoutSeconds = 0; // an eviction that races a request's lease leaves the version to its last lease at once
        var models = await StartAsync(budget, "a", "b");
        _backend.Transient = 2500;
        await models.LoadAllAsync(CancellationToken.None);
        var baseBytes = _memory.Resident;
        _backend.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var a = models.AcquireAsync("a", null, CancellationToken.None).AsTask();
        var b = models.AcquireAsync("b", null, CancellationToken.None).AsTask();

        // The first load holds all the room there is until it is measured.
        await _backend.Entered.Task;
        Assert.Equal(budget, models.Density!.UsedBytes);
        Assert.False(a.IsCompleted || b.IsCompleted);
        _backend.Gate.SetResult();
        var first = await Task.WhenAll(a, b);
        foreach (var lease in first.Where(r => r.IsSuccess))
        {
            lease.Value!.Release();
        }

        // One of the two may have been answered 503 (the budget holds one of them beside a load): a client retries.
        await AnsweredAsync(models, "a", first[0]);
        await AnsweredAsync(models, "b", first[1]);

        Assert.True(_memory.HighWater <= baseBytes + budget, $"peak {_memory.HighWater - baseBytes} above the base, budget {budget}");
        Assert.Equal(2500, models.Density.Meter.Headroom);
        Assert.Equal(2.5, models.Density.Admission.HeadroomFactor);
        Assert.Single(LoadedNow()); // 2,000 + 2,000 + 2,500 does not fit 6,000: one went for the other
        Assert.True(_backend.Loads >= 2);
    }

    [Fact]
    public async Task AFileNeverLoaded_IsHeldAtTheLargestFootprintRatioMeasured_NotTheConfiguredFactor()
    {
        // a's file measured at 3,000 (3x its 1,000 bytes, above the factor of 2). A file of other
        // content was never loaded: held at 3,000 (3x) plus the headroom of 500, not at its estimate of 2,000.
        const long budget = 6000;
        var models = await StartAsync(budget, footprint: 3 * FileBytes, "a");
        FakeBackend.Write(_repo.Path, "other", 1, FileBytes, fill: 7);
        _backend.Transient = 500;
        await models.LoadAllAsync(CancellationToken.None);
        var baseBytes = _memory.Resident;
        await UseAsync("a");
        Assert.Equal(3.0, models.Density!.Admission.FootprintFactor);

        await UseAsync("other"); // 3,000 + 3,000 + 500 > 6,000: a goes first (at 2,000 it would have stayed, peaking at 6,500)

        Assert.Equal(["other:1"], LoadedNow());
        Assert.True(_memory.HighWater <= baseBytes + budget, $"peak {_memory.HighWater - baseBytes} above the base, budget {budget}");
    }

    [Fact]
    public async Task AnEvictionThatFreesLessThanItsVersionWasCountedFor_IsCountedBeforeTheNextLoad()
    {
        // Each version is counted (and measured) at 2,000, but 1,000 of it stays in the process after its
        // release (an allocator keeps it). After a's eviction the RSS holds 1,000 that no version accounts
        // for: admitted at once, c would take the RSS to 5,000 above the base, over the budget of 4,000.
        var models = await StartAsync(TwoVersions, "a", "b", "c");
        _backend.Leak = FileBytes;
        await models.LoadAllAsync(CancellationToken.None);
        var baseBytes = _memory.Resident;
        await UseAsync("a");
        await UseAsync("b");

        await UseAsync("c");

        Assert.Equal(["c:1"], LoadedNow()); // a and b both went
        Assert.Equal(2 * FileBytes, models.Density!.Meter.Overhead); // what the two releases left
        Assert.True(_memory.HighWater <= baseBytes + TwoVersions, $"peak {_memory.HighWater - baseBytes} above the base, budget {TwoVersions}");
    }

    [Fact]
    public async Task TheBase_IsTakenWhenTheServerIsReady_SoWhatTheProcessGrowsByAfterItCounts()
    {
        var models = await StartAsync(TwoVersions, footprint: FileBytes, "a", "b");
        await models.LoadAllAsync(CancellationToken.None);
        Assert.Equal(50_000, models.Density!.Meter.Base);

        _memory.Add(1500); // the first requests' code and heap, before any load
        await UseAsync("a");

        Assert.Equal(1500, models.Density.Meter.Overhead);
        Assert.Equal(FileBytes + 1500, models.Density.UsedBytes);
    }

    [Fact]
    public void LoadAdmission_HoldsAllTheRoomBeforeAnyMeasurement_ThenTheLearnedRatios_CutOnlyToTheBudgetLessTheOverhead()
    {
        var admission = new LoadAdmission(sizeFactor: 2);
        Assert.False(admission.Learned);
        Assert.Equal(9000, admission.Hold(null, fileBytes: 1000, plainBytes: 2000, headroomBytes: 0, roomBytes: 9000, ceilingBytes: 10_000));
        Assert.Equal(2000, admission.Hold(null, 1000, 2000, 0, roomBytes: 500, 10_000)); // never below the version's own count

        admission.Learn(fileBytes: 1000, countedBytes: 3000, transientBytes: 1500);
        Assert.True(admission.Learned);

        // Never loaded, 4,000 bytes: 4,000 x 3 + max(1,500, 4,000 x 1.5).
        Assert.Equal(12_000 + 6000, admission.Hold(null, 4000, 8000, 1500, roomBytes: 100_000, ceilingBytes: 100_000));
        // Measured at 2,500: that, plus the headroom (the larger of 1,500 and 1,000 x 1.5), however little room busy versions leave.
        Assert.Equal(2500 + 1500, admission.Hold(2500, 1000, 2500, 1500, roomBytes: 1000, ceilingBytes: 100_000));
        // More than the budget less the overhead: cut to it (it runs alone), never below the version's own count plus the headroom.
        Assert.Equal(15_000, admission.Hold(null, 4000, 8000, 1500, roomBytes: 100_000, ceilingBytes: 15_000));
        Assert.Equal(8000 + 6000, admission.Hold(null, 4000, 8000, 1500, roomBytes: 100_000, ceilingBytes: 7000));

        // A smaller ratio learned later does not lower the factors; the configured factor is the floor.
        admission.Learn(1000, 1000, 0);
        Assert.Equal(3.0, admission.FootprintFactor);
        Assert.Equal(1.5, admission.HeadroomFactor);
        Assert.Equal(2.0, new LoadAdmission(2).FootprintFactor);
    }

    // A request answered before (its lease given back): asked again while it was answered 503, as a client would retry.
    private async Task AnsweredAsync(ModelManager models, string name, InferenceResult<ModelVersion> result)
    {
        if (result.IsSuccess)
        {
            return;
        }

        for (var retry = 0; !result.IsSuccess && retry < 5; retry++)
        {
            Assert.Equal(InferenceErrorKind.Unavailable, result.Error!.Kind);
            result = await models.AcquireAsync(name, null, CancellationToken.None);
        }

        Assert.True(result.IsSuccess, result.Error?.Message);
        result.Value.Release();
        _time.Advance(TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void EvictionOrder_TakesIdleVersionsLeastRecentFirst_UntilTheNeededBytesFit_OrNoneWhenItCannot()
    {
        Assert.Empty(EvictionOrder.Choose([], _ => VersionPins.None, 100, 0, 100)!);
        Assert.Null(EvictionOrder.Choose([], _ => VersionPins.None, 100, 1, 100));
        Assert.Equal(ImmutableSortedSet<long>.Empty, VersionPins.None.Resident);
    }
}
