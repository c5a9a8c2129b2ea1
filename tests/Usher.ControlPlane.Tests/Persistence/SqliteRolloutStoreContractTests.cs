using Usher.ControlPlane.Persistence;
using Usher.Testing;

namespace Usher.ControlPlane.Tests.Persistence;

/// <summary>The store contract on a SQLite file of the test's own.</summary>
public sealed class SqliteRolloutStoreContractTests : RolloutStoreContract
{
    private readonly TempDirectory _dir = new();

    public override Task InitializeAsync() => Task.CompletedTask;

    private protected override async Task<IRolloutStore> OpenStoreAsync()
        => await SqliteRolloutStore.OpenAsync(_dir.Combine("state", "usher.db"), CancellationToken.None);

    private protected override Task DisposeDatabaseAsync()
    {
        _dir.Dispose();
        return Task.CompletedTask;
    }
}
