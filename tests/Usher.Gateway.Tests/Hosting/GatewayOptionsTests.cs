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
                "--state: expected postgresql://USER@HOST:PORT/DATABASE, got 'mysql://db/x'",
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
    public void StateUri_BecomesAnNpgsqlConnectionString(string uri, string expected)
    {
        Assert.Null(StateUri.Problem(uri));
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(StateUri.ConnectionString(uri));
        var wanted = new Npgsql.NpgsqlConnectionStringBuilder(expected);
        Assert.Equal((wanted.Host, wanted.Port, wanted.Database, wanted.Username, wanted.Password), (builder.Host, builder.Port, builder.Database, builder.Username, builder.Password));
    }

    [Fact]
    public void StateUri_WithoutDatabase_IsRefused()
    {
        Assert.Equal("'postgresql://usher@127.0.0.1:5432' names no database; expected postgresql://USER@HOST:PORT/DATABASE", StateUri.Problem("postgresql://usher@127.0.0.1:5432"));
    }

    [Fact]
    public async Task UsherGatewayCommand_WithoutState_Exits2_SayingWhatIsMissing()
    {
        var host = Environment.ProcessPath is { } current && Path.GetFileNameWithoutExtension(current) == "dotnet" ? current : "dotnet";
        using var process = Process.Start(new ProcessStartInfo(host, [Path.Combine(AppContext.BaseDirectory, "usher.dll"), "gateway", "--http-port", "0"])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        })!;
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.Equal(2, process.ExitCode);
        Assert.Equal("usher gateway: --state: required, the shared state's URI: postgresql://USER@HOST:PORT/DATABASE", error.Trim());
    }
}
