using Usher.ControlPlane.Persistence;
using Usher.Testing;

namespace Usher.ControlPlane.Tests.Persistence;

/// <summary>The state file: locked while in use, owned by one repository, never replaced when damaged.</summary>
public sealed class StateFileTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string DbPath => Path.Combine(_dir.Path, "state", "usher.db");

    private string RepoA => Directory.CreateDirectory(_dir.Combine("repo-a")).FullName;

    private string RepoB => Directory.CreateDirectory(_dir.Combine("repo-b")).FullName;

    [Fact]
    public async Task Open_WhileAnotherHolderHasIt_RefusesNamingTheFileAndTheProcess_AndOpensOnceReleased()
    {
        var first = await StateFile.OpenAsync(DbPath, RepoA, followsRepository: false, CancellationToken.None);

        var refused = await Assert.ThrowsAsync<StateStoreException>(() => StateFile.OpenAsync(DbPath, RepoA, followsRepository: false, CancellationToken.None));
        await first.DisposeAsync();
        await using var second = await StateFile.OpenAsync(DbPath, RepoA, followsRepository: false, CancellationToken.None);

        Assert.Contains(DbPath, refused.Message, StringComparison.Ordinal);
        Assert.Contains($"pid {Environment.ProcessId} on {Environment.MachineName}", refused.Message, StringComparison.Ordinal);
        Assert.Contains("--data-dir", refused.Message, StringComparison.Ordinal);
        Assert.Equal(DbPath, second.Path);
    }

    [Fact]
    public async Task Open_RecordsTheRepository_AndRefusesAnotherOne()
    {
        await (await StateFile.OpenAsync(DbPath, RepoA + Path.DirectorySeparatorChar, followsRepository: false, CancellationToken.None)).DisposeAsync();

        var refused = await Assert.ThrowsAsync<StateStoreException>(() => StateFile.OpenAsync(DbPath, RepoB, followsRepository: false, CancellationToken.None));
        await using var same = await StateFile.OpenAsync(DbPath, RepoA, followsRepository: false, CancellationToken.None);

        Assert.Contains($"the state file {DbPath} belongs to the model repository {RepoA}, not {RepoB}", refused.Message, StringComparison.Ordinal);
        Assert.Contains("--data-dir", refused.Message, StringComparison.Ordinal);
        Assert.Equal(RepoA, await same.Store.RepositoryAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Open_InsideAMovedRepository_FollowsTheRepository()
    {
        await (await StateFile.OpenAsync(DbPath, RepoA, followsRepository: true, CancellationToken.None)).DisposeAsync();

        await using var moved = await StateFile.OpenAsync(DbPath, RepoB, followsRepository: true, CancellationToken.None);

        Assert.Equal(RepoB, await moved.Store.RepositoryAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Open_ADamagedFile_RefusesWithWhatToDo_AndLeavesTheFileAsItIs()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(DbPath)!);
        var garbage = Enumerable.Range(0, 8192).Select(i => (byte)(i * 31 % 251)).ToArray();
        await File.WriteAllBytesAsync(DbPath, garbage);

        var refused = await Assert.ThrowsAsync<StateStoreException>(() => StateFile.OpenAsync(DbPath, RepoA, followsRepository: false, CancellationToken.None));

        Assert.Contains($"the state file {DbPath} is not a usable SQLite database", refused.Message, StringComparison.Ordinal);
        Assert.Contains("left as it is", refused.Message, StringComparison.Ordinal);
        Assert.Contains("--data-dir", refused.Message, StringComparison.Ordinal);
        Assert.Equal(garbage, await File.ReadAllBytesAsync(DbPath));

        // The lock went with the failed attempt: a good file opens at once.
        File.Delete(DbPath);
        await using var fresh = await StateFile.OpenAsync(DbPath, RepoA, followsRepository: false, CancellationToken.None);
    }

    [Fact]
    public async Task Open_WhereTheFolderIsAFile_RefusesNamingIt()
    {
        var folder = Path.GetDirectoryName(DbPath)!;
        await File.WriteAllTextAsync(folder, "not a folder");

        var refused = await Assert.ThrowsAsync<StateStoreException>(() => StateFile.OpenAsync(DbPath, RepoA, followsRepository: false, CancellationToken.None));

        Assert.Contains($"the state folder {folder} is a file, not a folder", refused.Message, StringComparison.Ordinal);
        Assert.Equal("not a folder", await File.ReadAllTextAsync(folder));
    }
}
