using Microsoft.Extensions.Time.Testing;
using Usher.ControlPlane.Faults;
using Usher.ControlPlane.Persistence;
using Usher.Core.Inference;
using Usher.Core.Routing;
using Usher.Testing;

namespace Usher.ControlPlane.Tests.Faults;

/// <summary>The injector kept to the stored faults: store first, then the injector; a reload swaps the whole set.</summary>
public sealed class FaultKeeperTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 8, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _dir = new();
    private readonly FakeTimeProvider _time = new(T0);
    private SqliteRolloutStore? _store;

    private SqliteRolloutStore Store => _store ?? throw new InvalidOperationException("not initialised");

    public async Task InitializeAsync() => _store = await SqliteRolloutStore.OpenAsync(_dir.Combine("usher.db"), CancellationToken.None);

    public async Task DisposeAsync()
    {
        await Store.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task Reload_ReplacesTheWholeSet_SoAFaultClearedInTheStoreIsGone_AndItsRequestsRun()
    {
        var injector = new FaultInjector(_time);
        using var keeper = new FaultKeeper(Store, injector, _time);
        await keeper.SetAsync("fraud:1", new FaultSpec(AbortFraction: 1, AbortStatus: 502), "ops", StoredFault.EveryReplica, CancellationToken.None);
        await keeper.SetAsync("fraud:2", new FaultSpec(AbortFraction: 1, AbortStatus: 504), "ops", StoredFault.EveryReplica, CancellationToken.None);

        // Another replica clears fraud:1 and replaces fraud:2 in the shared store; this one reloads.
        await Store.ClearFaultAsync("fraud:1", StoredFault.EveryReplica, CancellationToken.None);
        await Store.SetFaultAsync(new StoredFault("fraud:2", new FaultSpec(AbortFraction: 1, AbortStatus: 503), T0, "ci"), CancellationToken.None);
        var stored = await keeper.ReloadAsync(CancellationToken.None);

        Assert.Equal(["fraud:2"], stored.Select(f => f.Variant));
        Assert.Equal(["fraud:2"], injector.Faults.Keys);
        Assert.Null(await injector.ApplyAsync("fraud", "fraud:1", CancellationToken.None));
        Assert.Equal(503, (await injector.ApplyAsync("fraud", "fraud:2", CancellationToken.None))!.Status);
    }

    [Fact]
    public async Task Set_StoresTheFault_WithWhoSetItAndWhen_BeforeInjectingIt()
    {
        var injector = new FaultInjector(_time);
        using var keeper = new FaultKeeper(Store, injector, _time);

        await keeper.SetAsync("fraud:2", new FaultSpec(AbortFraction: 0.5), "ops", StoredFault.EveryReplica, CancellationToken.None);
        Assert.True(await keeper.ClearAsync("fraud:1", StoredFault.EveryReplica, CancellationToken.None) is false);

        Assert.Equal([new StoredFault("fraud:2", new FaultSpec(AbortFraction: 0.5), T0, "ops")], await Store.FaultsAsync(CancellationToken.None));
        Assert.Equal(new FaultSpec(AbortFraction: 0.5), injector.Faults["fraud:2"]);
        Assert.True(await keeper.ClearAsync("fraud:2", StoredFault.EveryReplica, CancellationToken.None));
        Assert.Empty(await Store.FaultsAsync(CancellationToken.None));
        Assert.Empty(injector.Faults);
    }

    [Fact]
    public async Task AReplica_AppliesEveryReplicasFaultsAndItsOwn_ItsOwnWinning_AndNotAnothersOwn()
    {
        // Three replicas on one store, as on a shared database: each keeper with its own injector and id.
        var (a, b, c) = (new FaultInjector(_time), new FaultInjector(_time), new FaultInjector(_time));
        using var onA = new FaultKeeper(Store, a, _time) { Replica = "host-a" };
        using var onB = new FaultKeeper(Store, b, _time) { Replica = "host-b" };
        using var single = new FaultKeeper(Store, c, _time);
        await onA.SetAsync("fraud:2", new FaultSpec(AbortFraction: 0.1, AbortStatus: 502), "ops", StoredFault.EveryReplica, CancellationToken.None);
        await onA.SetAsync("fraud:2", new FaultSpec(AbortFraction: 1, AbortStatus: 507), "ops", "host-b", CancellationToken.None);
        await onA.SetAsync("fraud:1", new FaultSpec(AbortFraction: 1, AbortStatus: 504), "ops", "host-a", CancellationToken.None);
        var inForceOnB = await onB.ReloadAsync(CancellationToken.None);
        await single.ReloadAsync(CancellationToken.None);

        // A: every replica's fraud:2 and its own fraud:1 (B's fraud:2 is not its own); B: its own fraud:2
        // over every replica's; a replica without an id: every replica's only.
        Assert.Equal([("fraud:1", 504), ("fraud:2", 502)], a.Faults.OrderBy(f => f.Key).Select(f => (f.Key, f.Value.AbortStatus)));
        Assert.Equal([("fraud:2", 507)], b.Faults.Select(f => (f.Key, f.Value.AbortStatus)));
        Assert.Equal([("fraud:2", 502)], c.Faults.Select(f => (f.Key, f.Value.AbortStatus)));
        Assert.Equal(3, onA.Stored.Count);
        Assert.Equal([("fraud:2", "host-b", "ops")], inForceOnB.Select(f => (f.Variant, f.Replica, f.SetBy)));

        // Clearing every replica's fault leaves B's own in force on B, and nothing of fraud:2 on A.
        Assert.True(await onA.ClearAsync("fraud:2", StoredFault.EveryReplica, CancellationToken.None));
        await onB.ReloadAsync(CancellationToken.None);
        Assert.Equal(["fraud:1"], a.Faults.Keys);
        Assert.Equal([("fraud:2", 507)], b.Faults.Select(f => (f.Key, f.Value.AbortStatus)));
        Assert.True(await onB.ClearAsync("fraud:2", "host-b", CancellationToken.None));
        Assert.Empty(b.Faults);
    }

    [Fact]
    public async Task AStoreThatFails_ChangesNothing_AndTheFailureReachesTheCaller()
    {
        var injector = new FaultInjector(_time);
        injector.Set("fraud:1", new FaultSpec(AbortFraction: 1));
        using var keeper = new FaultKeeper(new FailingStore(), injector, _time);

        await Assert.ThrowsAsync<IOException>(() => keeper.SetAsync("fraud:2", new FaultSpec(AbortFraction: 1), "ops", StoredFault.EveryReplica, CancellationToken.None));
        await Assert.ThrowsAsync<IOException>(() => keeper.ClearAsync("fraud:1", StoredFault.EveryReplica, CancellationToken.None));
        await Assert.ThrowsAsync<IOException>(() => keeper.ReloadAsync(CancellationToken.None));

        Assert.Equal(["fraud:1"], injector.Faults.Keys);
        Assert.Equal(InferenceErrorKind.InjectedFault, (await injector.ApplyAsync("fraud", "fraud:1", CancellationToken.None))!.Kind);
        Assert.Null(await injector.ApplyAsync("fraud", "fraud:2", CancellationToken.None));
    }

    // A database that has gone away: every call fails.
    private sealed class FailingStore : IFaultStore
    {
        public Task<IReadOnlyList<StoredFault>> FaultsAsync(CancellationToken cancellationToken) => Task.FromException<IReadOnlyList<StoredFault>>(new IOException("disk gone"));

        public Task SetFaultAsync(StoredFault fault, CancellationToken cancellationToken) => Task.FromException(new IOException("disk gone"));

        public Task<bool> ClearFaultAsync(string variant, string replica, CancellationToken cancellationToken) => Task.FromException<bool>(new IOException("disk gone"));
    }
}
