using Usher.ControlPlane.Persistence;
using Usher.Testing;

namespace Usher.ControlPlane.Tests.Persistence;

public sealed class StateStoreHolderTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Store_BeforeTheStateFileIsOpen_SaysSo()
    {
        var holder = new StateStoreHolder();

        var ex = Assert.Throws<InvalidOperationException>(() => holder.Store);

        Assert.False(holder.IsOpen);
        Assert.Contains("state file is not open yet", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_HandsOverTheStoreOnce()
    {
        await using var store = await SqliteRolloutStore.OpenAsync(_dir.Combine("usher.db"), CancellationToken.None);
        await using var other = await SqliteRolloutStore.OpenAsync(_dir.Combine("other.db"), CancellationToken.None);
        var holder = new StateStoreHolder();

        holder.Open(store);

        Assert.True(holder.IsOpen);
        Assert.Same(store, holder.Store);
        Assert.Throws<InvalidOperationException>(() => holder.Open(other));
        Assert.Same(store, holder.Store);
    }
}
