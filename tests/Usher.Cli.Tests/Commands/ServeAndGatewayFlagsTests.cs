using Usher.Cli.Commands;

namespace Usher.Cli.Tests.Commands;

/// <summary>
/// Each flag of <c>usher serve</c> and <c>usher gateway</c> as the setting it gives
/// (<see cref="ServeCommand.Settings"/>, <see cref="GatewayCommand.Options"/>, which read the parsed
/// command line by flag name): a flag renamed without its reading would be lost here.
/// </summary>
public sealed class ServeAndGatewayFlagsTests
{
    [Fact]
    public void Serve_EveryFlag_SetsItsKey()
    {
        var parse = UsherRootCommand.Create().Parse(
        [
            "serve", "--model-repository", "/srv/models", "--http-port", "9000", "--grpc-port", "-1", "--config", "/etc/u.yaml",
            "--repository-poll", "30", "--state", "postgresql://u@db/s", "--region", "eu", "--label", "hw=gpu", "--label", "zone=b",
            "--advertise", "http://10.0.0.5:9000", "--log-format", "json", "--api-keys-file", "/etc/keys", "--memory-budget", "60%",
            "--inline-scheduling",
        ]);
        Assert.Empty(parse.Errors);

        var (config, overrides) = ServeCommand.Settings(parse);

        Assert.Equal(Path.GetFullPath("/etc/u.yaml"), config);
        Assert.Equal(
            new Dictionary<string, string>
            {
                ["repository:path"] = Path.GetFullPath("/srv/models"),
                ["server:http_port"] = "9000",
                ["server:grpc_port"] = "-1",
                ["repository:poll_seconds"] = "30",
                ["admin:state"] = "postgresql://u@db/s",
                ["cluster:region"] = "eu",
                ["cluster:labels"] = "hw=gpu,zone=b",
                ["cluster:advertise"] = "http://10.0.0.5:9000",
                ["server:log_format"] = "json",
                ["server:api_keys_file"] = Path.GetFullPath("/etc/keys"),
                ["server:memory_budget"] = "60%",
                ["server:inline_scheduling"] = "true",
            },
            overrides);
    }

    [Fact]
    public void Serve_DataDir_SetsItsKey_AndNoFlags_SetNothing()
    {
        var (_, withDataDir) = ServeCommand.Settings(UsherRootCommand.Create().Parse(["serve", "--data-dir", "/var/lib/usher"]));
        var (_, none) = ServeCommand.Settings(UsherRootCommand.Create().Parse(["serve"]));

        Assert.Equal(new Dictionary<string, string> { ["admin:data_dir"] = Path.GetFullPath("/var/lib/usher") }, withDataDir);
        Assert.Empty(none);
    }

    [Fact]
    public void Gateway_EveryFlag_SetsItsOption()
    {
        var parse = UsherRootCommand.Create().Parse(["gateway", "--state", "postgresql://u@db/s", "--http-port", "9080", "--grpc-port", "-1", "--region", "eu", "--host", "127.0.0.1"]);
        Assert.Empty(parse.Errors);

        var options = GatewayCommand.Options(parse);

        Assert.Equal(("postgresql://u@db/s", 9080, -1, "eu", "127.0.0.1"), (options.State, options.HttpPort, options.GrpcPort, options.Region, options.Host));
    }
}
