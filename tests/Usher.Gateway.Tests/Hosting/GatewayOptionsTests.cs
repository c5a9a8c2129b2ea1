using System.Diagnostics;
using Usher.Gateway.Hosting;

namespace Usher.Gateway.Tests.Hosting;

public sealed class GatewayOptionsTests
{
    [Fact]
    public void Problems_ReportsEveryBadSettingTogether_EachNamingItsFlag()
    {
        var options = new GatewayOptions { State = "mysql://db/x", HttpPort = 70000, GrpcPort = -2, Region = " ", Host = "localhost" };

        Assert.Equal(
            [
                "--state: expected postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE, got the scheme 'mysql'",
                "--host: expected an IP address such as 0.0.0.0 or 127.0.0.1, got 'localhost'",
                "--http-port: expected a port from 0 to 65535, got 70000",
                "--grpc-port: expected a port from 0 to 65535, or -1, got -2",
                "--region: expected a region name, got an empty one",
            ],
            options.Problems());
    }

    [Theory]
    [InlineData("postgresql://usher@127.0.0.1:5433/state", "Host=127.0.0.1;Port=5433;Database=state;Username=usher")]
    [InlineData("postgres://u:p%40ss@db.internal/usher", "Host=db.internal;Port=5432;Database=usher;Username=u;Password=p@ss")]
    public void State_BecomesAnNpgsqlConnectionString_AsTheReplicasReadIt(string uri, string expected)
    {
        var options = new GatewayOptions { State = uri };
        Assert.Empty(options.Problems());
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(options.Target!.ConnectionString);
        var wanted = new Npgsql.NpgsqlConnectionStringBuilder(expected);
        Assert.Equal((wanted.Host, wanted.Port, wanted.Database, wanted.Username, wanted.Password), (builder.Host, builder.Port, builder.Database, builder.Username, builder.Password));
    }

    [Fact]
    public void State_WithoutDatabase_IsRefused_AndNoMessageOrDisplayHoldsThePassword()
    {
        var bad = new GatewayOptions { State = "postgresql://usher:top-secret-pw@127.0.0.1:99999" };
        var good = new GatewayOptions { State = "postgresql://usher:top-secret-pw@db.internal:5433/state" };

        Assert.Equal(
            ["--state: expected a port from 1 to 65535 after the host, got '99999'", "--state: expected a database name after the host (postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE), got none"],
            bad.Problems());
        Assert.Equal("postgresql://usher@db.internal:5433/state", good.Target!.Display);
    }

    [Fact]
    public async Task UsherGatewayCommand_OnAnUnreachableDatabase_Exits2_NamingItWithoutThePassword()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // a free port with nothing listening: the connection is refused

        var (exit, output, error) = await RunAsync("gateway", "--state", $"postgresql://usher:top-secret-pw@127.0.0.1:{port}/state", "--http-port", "0", "--grpc-port", "0");

        Assert.Equal(2, exit);
        Assert.Contains($"usher gateway: cannot read the replica registry at postgresql://usher@127.0.0.1:{port}/state", error, StringComparison.Ordinal);
        Assert.DoesNotContain("top-secret-pw", output + error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UsherGatewayCommand_WithoutState_Exits2_SayingWhatIsMissing()
    {
        var (exit, _, error) = await RunAsync("gateway", "--http-port", "0");

        Assert.Equal(2, exit);
        Assert.Equal("usher gateway: --state: required, the shared state's URI: postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE", error.Trim());
    }

    private static async Task<(int Exit, string Output, string Error)> RunAsync(params string[] args)
    {
        var host = Environment.ProcessPath is { } current && Path.GetFileNameWithoutExtension(current) == "dotnet" ? current : "dotnet";
        using var process = Process.Start(new ProcessStartInfo(host, [Path.Combine(AppContext.BaseDirectory, "usher.dll"), .. args])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output, error);
    }
}
