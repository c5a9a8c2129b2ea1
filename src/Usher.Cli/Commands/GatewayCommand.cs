using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Usher.ControlPlane.Persistence;
using Usher.Gateway.Hosting;

namespace Usher.Cli.Commands;

/// <summary><c>usher gateway</c>: the model-aware gateway (YARP) in front of the replicas that share a PostgreSQL state.</summary>
internal static class GatewayCommand
{
    public static Command Create()
    {
        var state = new Option<string?>("--state")
        {
            Description = "The shared state the replicas register in: postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE, as usher serve --state (required); the password may also come from PGPASSWORD or a .pgpass file.",
            HelpName = "URI",
        };
        var httpPort = new Option<int?>("--http-port")
        {
            Description = "Port of the REST (HTTP/1.1) endpoint. Default: 8080; 0 picks a free port.",
            HelpName = "N",
            CustomParser = result => ServeCommand.ParseInteger(result, "--http-port", "a port from 0 to 65535"),
        };
        var grpcPort = new Option<int?>("--grpc-port")
        {
            Description = "Port of the gRPC endpoint (HTTP/2 without TLS). Default: 8081; 0 picks a free port; -1 turns gRPC off.",
            HelpName = "N",
            CustomParser = result => ServeCommand.ParseInteger(result, "--grpc-port", "a port from 0 to 65535, or -1"),
        };
        var region = new Option<string?>("--region")
        {
            Description = "The gateway's region: requests without an x-usher-region header prefer replicas there, and fail over to another region when none there is healthy or all are saturated. Default: no preference.",
            HelpName = "R",
        };
        var host = new Option<string?>("--host")
        {
            Description = "Address to listen on. Default: 0.0.0.0.",
            HelpName = "ADDRESS",
        };

        var command = new Command("gateway", "Route Open Inference Protocol requests (REST and gRPC) across the replicas registered in the shared state, by model, version, hardware and region.")
        {
            state, httpPort, grpcPort, region, host,
        };
        command.SetAction(async parse => await RunAsync(Options(parse)).ConfigureAwait(false));
        return command;
    }

    /// <summary>The gateway's options from a parsed <c>usher gateway</c> command line (not yet checked: <see cref="GatewayOptions.Problems"/>). The chart's tests read the rendered pod's arguments through this.</summary>
    internal static GatewayOptions Options(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var defaults = new GatewayOptions();
        return defaults with
        {
            State = parse.GetValue<string?>("--state") ?? string.Empty,
            HttpPort = parse.GetValue<int?>("--http-port") ?? defaults.HttpPort,
            GrpcPort = parse.GetValue<int?>("--grpc-port") ?? defaults.GrpcPort,
            Region = parse.GetValue<string?>("--region"),
            Host = parse.GetValue<string?>("--host") ?? defaults.Host,
        };
    }

    private static async Task<int> RunAsync(GatewayOptions options)
    {
        var problems = options.Problems();
        if (problems.Count > 0)
        {
            foreach (var problem in problems)
            {
                await Console.Error.WriteLineAsync($"usher gateway: {problem}").ConfigureAwait(false);
            }

            return ExitCodes.BadSettings;
        }

        await using var app = UsherGateway.Build(options);
        try
        {
            await UsherGateway.PrepareAsync(app, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or StateStoreException or InvalidDataException or TimeoutException)
        {
            await Console.Error.WriteLineAsync($"usher gateway: cannot read the replica registry at {options.Target?.Display}: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.BadSettings;
        }

        try
        {
            await app.StartAsync().ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            await Console.Error.WriteLineAsync($"usher gateway: cannot listen on {options.Host}:{options.HttpPort} (REST) and {options.GrpcPort} (gRPC): {ex.Message}; pass --http-port and --grpc-port with free ports").ConfigureAwait(false);
            return ExitCodes.BadSettings;
        }

        var endpoints = app.Services.GetRequiredService<GatewayEndpoints>();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"usher gateway: REST on port {endpoints.HttpPort}, gRPC on port {(endpoints.GrpcPort is int g ? g.ToString(CultureInfo.InvariantCulture) : "off")}, replicas from {options.Target?.Display}"));
        await app.WaitForShutdownAsync().ConfigureAwait(false);
        return ExitCodes.Success;
    }
}
