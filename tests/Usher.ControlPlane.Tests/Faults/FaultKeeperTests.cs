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
        await keeper.SetAsync("fraud:1", new FaultSpec(AbortFraction: 1, AbortStatus: 502), "ops", CancellationToken.None);
        await keeper.SetAsync("fraud:2", new FaultSpec(AbortFraction: 1, AbortStatus: 504), "ops", CancellationToken.None);

        // Another replica clears fraud:1 and replaces fraud:2 in the shared store; this one reloads.
        await Store.ClearFaultAsync("fraud:1", CancellationToken.None);
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

        await keeper.SetAsync("fraud:2", new FaultSpec(AbortFraction: 0.5), "ops", CancellationToken.None);
        Assert.True(await keeper.ClearAsync("fraud:1", CancellationToken.None) is false);

        Assert.Equal([new StoredFault("fraud:2", new FaultSpec(AbortFraction: 0.5), T0, "ops")], await Store.FaultsAsync(CancellationToken.None));
        Assert.Equal(new FaultSpec(AbortFraction: 0.5), injector.Faults["fraud:2"]);
        Assert.True(await keeper.ClearAsync("fraud:2", CancellationToken.None));
        Assert.Empty(await Store.FaultsAsync(CancellationToken.None));
        Assert.Empty(injector.Faults);
    }

    [Fact]
    public async Task AStoreThatFails_ChangesNothing_AndTheFailureReachesTheCaller()
    {
        var injector = new FaultInjector(_time);
        injector.Set("fraud:1", new FaultSpec(AbortFraction: 1));
        using var keeper = new FaultKeeper(new FailingStore(), injector, _time);

        await Assert.ThrowsAsync<IOException>(() => keeper.SetAsync("fraud:2", new FaultSpec(AbortFraction: 1), "ops", CancellationToken.None));
        await Assert.ThrowsAsync<IOException>(() => keeper.ClearAsync("fraud:1", CancellationToken.None));
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

        public Task<bool> ClearFaultAsync(string variant, CancellationToken cancellationToken) => Task.FromException<bool>(new IOException("disk gone"));
    }
}
