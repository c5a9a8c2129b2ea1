using Microsoft.Extensions.Time.Testing;
using Usher.Core.Telemetry;
using Usher.Server.Access;
using Usher.Server.Hosting;
using Usher.Testing;

namespace Usher.Server.Tests.Access;

public sealed class CredentialFileWatcherTests : IDisposable
{
    private const string Alice = "alice-key-0123456789";
    private const string Bob = "bob-key-abcdefghijkl";
    private readonly TempDirectory _dir = new();
    private readonly FakeTimeProvider _time = new();
    private readonly ListLogger _log = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void AChangedFile_IsInForceAfterThePollInterval_NotBefore()
    {
        var path = Write($"alice {Alice}\n");
        using var watcher = new CredentialFileWatcher(path, "server.api_keys_file", false, _time, _log);
        File.WriteAllText(path, $"bob {Bob}\n");

        _time.Advance(CredentialFileWatcher.PollInterval - TimeSpan.FromMilliseconds(1));
        Assert.Equal("alice", watcher.Current.Find(Alice)?.Name);

        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Null(watcher.Current.Find(Alice));
        Assert.Equal("bob", watcher.Current.Find(Bob)?.Name);
        Assert.Equal(2, _log.Entries.Count(e => e.EventId == LogEvents.CredentialsLoaded));
    }

    [Fact]
    public void ABadChange_KeepsThePreviousKeys_AndLogsTheProblemOnce_WithoutTheKey()
    {
        var path = Write($"alice {Alice}\n");
        using var watcher = new CredentialFileWatcher(path, "server.api_keys_file", false, _time, _log);
        File.WriteAllText(path, $"alice {Alice}\nbob {Bob} oops\n");

        _time.Advance(CredentialFileWatcher.PollInterval * 3);

        Assert.Equal("alice", watcher.Current.Find(Alice)?.Name);
        Assert.Null(watcher.Current.Find(Bob));
        var failure = Assert.Single(_log.Entries, e => e.EventId == LogEvents.CredentialsReloadFailed);
        Assert.Contains($"{path}:2: expected 'NAME KEY', got 3 fields", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_log.Entries, e => e.Message.Contains(Alice, StringComparison.Ordinal) || e.Message.Contains(Bob, StringComparison.Ordinal));

        // Fixed: in force at the next poll.
        File.WriteAllText(path, $"alice {Alice}\nbob {Bob}\n");
        _time.Advance(CredentialFileWatcher.PollInterval);
        Assert.Equal("bob", watcher.Current.Find(Bob)?.Name);
    }

    [Fact]
    public void ADeletedFile_KeepsThePreviousKeys()
    {
        var path = Write($"alice {Alice}\n");
        using var watcher = new CredentialFileWatcher(path, "server.api_keys_file", false, _time, _log);
        File.Delete(path);

        _time.Advance(CredentialFileWatcher.PollInterval * 2);

        Assert.Equal("alice", watcher.Current.Find(Alice)?.Name);
        Assert.Single(_log.Entries, e => e.EventId == LogEvents.CredentialsReloadFailed);
    }

    [Fact]
    public void AFileThatCannotBeUsedAtStart_IsASettingsError_NamingFileAndLine()
    {
        var path = Write($"alice {Alice}\nbob\n");

        var error = Assert.Throws<SettingsException>(() => new CredentialFileWatcher(path, "server.api_keys_file", false, _time, _log));

        Assert.Equal([$"server.api_keys_file: {path}:2: expected 'NAME KEY', got one field (a name or a key alone)"], error.Errors);
    }

    private string Write(string text)
    {
        var path = _dir.Combine("keys");
        File.WriteAllText(path, text);
        return path;
    }
}
