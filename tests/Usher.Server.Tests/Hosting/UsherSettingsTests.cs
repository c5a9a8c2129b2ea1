using Usher.Server.Hosting;
using Usher.Testing;

namespace Usher.Server.Tests.Hosting;

public sealed class UsherSettingsTests
{
    private static readonly Dictionary<string, string> NoFlags = [];
    private static readonly Dictionary<string, string> NoEnvironment = [];

    [Fact]
    public void Load_FlagsOverrideEnvironmentWhichOverridesTheFile()
    {
        using var dir = new TempDirectory();
        var file = dir.Combine("usher.yaml");
        File.WriteAllText(file, $"server:\n  http_port: 9001\n  max_request_body_bytes: 1024\nrepository:\n  path: {dir.Path}\n  poll_seconds: 5\n");
        var env = new Dictionary<string, string> { ["USHER_SERVER__HTTP_PORT"] = "9002", ["USHER_REPOSITORY__POLL_SECONDS"] = "7" };

        var settings = UsherSettings.Load(file, new Dictionary<string, string> { ["server:http_port"] = "9003" }, env);

        Assert.Equal(9003, settings.Server.HttpPort);
        Assert.Equal(1024, settings.Server.MaxRequestBodyBytes);
        Assert.Equal(7, settings.Repository.PollSeconds);
        Assert.Equal(dir.Path, settings.Repository.Path);
    }

    [Fact]
    public void Load_ReportsEveryProblemTogetherWithItsSource()
    {
        using var dir = new TempDirectory();
        var file = dir.Combine("usher.yaml");
        File.WriteAllText(file, "server:\n  http_port: lots\n  colour: blue\nrepository:\n  path: /nonexistent/usher\n");

        var ex = Assert.Throws<SettingsException>(() => UsherSettings.Load(file, new Dictionary<string, string> { ["repository:poll_seconds"] = "-1" }, NoEnvironment));

        Assert.Contains(ex.Errors, e => e.Contains("usher.yaml line 2: server.http_port: expected an integer, got 'lots'", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.Contains("unknown setting 'server.colour'", StringComparison.Ordinal) && e.Contains("http_port", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.Contains("the folder '/nonexistent/usher' does not exist", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.Contains("repository.poll_seconds: expected 0 (off) or a positive number of seconds, got -1", StringComparison.Ordinal));
    }

    [Fact]
    public void Load_WithPortOutOfRange_Fails()
    {
        using var dir = new TempDirectory();
        var ex = Assert.Throws<SettingsException>(() => UsherSettings.Load(null, new Dictionary<string, string> { ["server:http_port"] = "70000", ["repository:path"] = dir.Path }, NoEnvironment));
        Assert.Equal("server.http_port: expected a port from 0 to 65535, got 70000", Assert.Single(ex.Errors));
    }

    [Fact]
    public void Load_WithMissingConfigFile_SaysSo()
    {
        using var dir = new TempDirectory();
        var ex = Assert.Throws<SettingsException>(() => UsherSettings.Load("/nonexistent/usher.yaml", new Dictionary<string, string> { ["repository:path"] = dir.Path }, NoEnvironment));
        Assert.Contains("--config: the file '/nonexistent/usher.yaml' does not exist", ex.Errors);
    }

    [Fact]
    public void Load_WithInvalidYaml_GivesTheLine()
    {
        using var dir = new TempDirectory();
        var file = dir.Combine("usher.yaml");
        File.WriteAllText(file, "server:\n  http_port: [1,\n");
        var ex = Assert.Throws<SettingsException>(() => UsherSettings.Load(file, new Dictionary<string, string> { ["repository:path"] = dir.Path }, NoEnvironment));
        Assert.Contains(ex.Errors, e => e.StartsWith("usher.yaml line", StringComparison.Ordinal) && e.Contains("invalid YAML", StringComparison.Ordinal));
    }

    [Fact]
    public void Load_WithoutAnything_UsesDefaults()
    {
        using var dir = new TempDirectory();
        var settings = UsherSettings.Load(null, new Dictionary<string, string> { ["repository:path"] = dir.Path }, NoEnvironment);
        Assert.Equal(8000, settings.Server.HttpPort);
        Assert.Equal(64L * 1024 * 1024, settings.Server.MaxRequestBodyBytes);
        Assert.Equal(0, settings.Repository.PollSeconds);
        _ = NoFlags;
    }
}
