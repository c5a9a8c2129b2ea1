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
    public void Load_GrpcSettings_FromFileEnvironmentAndFlags()
    {
        using var dir = new TempDirectory();
        var file = dir.Combine("usher.yaml");
        File.WriteAllText(file, $"server:\n  grpc_port: 9101\n  grpc_max_message_bytes: 2048\nrepository:\n  path: {dir.Path}\n");

        Assert.Equal(8001, UsherSettings.Load(null, new Dictionary<string, string> { ["repository:path"] = dir.Path }, NoEnvironment).Server.GrpcPort);
        var fromFile = UsherSettings.Load(file, NoFlags, NoEnvironment);
        Assert.Equal(9101, fromFile.Server.GrpcPort);
        Assert.Equal(2048, fromFile.Server.GrpcMaxMessageBytes);
        var env = new Dictionary<string, string> { ["USHER_SERVER__GRPC_PORT"] = "9102" };
        Assert.Equal(9102, UsherSettings.Load(file, NoFlags, env).Server.GrpcPort);
        Assert.Equal(-1, UsherSettings.Load(file, new Dictionary<string, string> { ["server:grpc_port"] = "-1" }, env).Server.GrpcPort);
    }

    [Fact]
    public void Load_GrpcSettingsOutOfRange_ReportsEach()
    {
        using var dir = new TempDirectory();
        var flags = new Dictionary<string, string>
        {
            ["repository:path"] = dir.Path,
            ["server:grpc_port"] = "70000",
            ["server:grpc_max_message_bytes"] = "0",
        };
        var ex = Assert.Throws<SettingsException>(() => UsherSettings.Load(null, flags, NoEnvironment));
        Assert.Contains("server.grpc_port: expected a port from 0 to 65535, or -1 for no gRPC endpoint, got 70000", ex.Errors);
        Assert.Contains("server.grpc_max_message_bytes: expected a positive number of bytes, got 0", ex.Errors);

        flags = new Dictionary<string, string> { ["repository:path"] = dir.Path, ["server:http_port"] = "9000", ["server:grpc_port"] = "9000" };
        ex = Assert.Throws<SettingsException>(() => UsherSettings.Load(null, flags, NoEnvironment));
        Assert.Contains(ex.Errors, e => e.StartsWith("server.grpc_port: 9000 is also server.http_port", StringComparison.Ordinal));
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
