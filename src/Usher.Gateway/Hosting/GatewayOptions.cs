using System.Globalization;
using Usher.ControlPlane.Persistence.Postgres;

namespace Usher.Gateway.Hosting;

/// <summary>
/// The gateway's settings (<c>usher gateway</c>'s flags), checked together by <see cref="Problems"/>
/// before anything starts.
/// </summary>
internal sealed record GatewayOptions
{
    /// <summary>The shared state: a <c>postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE</c> URI. Required.</summary>
    public string State { get; init; } = string.Empty;

    /// <summary>The database <see cref="State"/> names (null while it names none: <see cref="Problems"/> says why); its <see cref="PostgresTarget.Display"/> is what messages show, never the password.</summary>
    public PostgresTarget? Target => PostgresTarget.Parse(State, out _);

    /// <summary>Address the gateway listens on. Default: 0.0.0.0 (every interface).</summary>
    public string Host { get; init; } = "0.0.0.0";

    /// <summary>Port of the REST (HTTP/1.1) endpoint. Default: 8080; 0 picks a free port.</summary>
    public int HttpPort { get; init; } = 8080;

    /// <summary>Port of the gRPC endpoint (h2c). Default: 8081; 0 picks a free port; -1 turns gRPC off.</summary>
    public int GrpcPort { get; init; } = 8081;

    /// <summary>The gateway's own region: requests without <c>x-usher-region</c> prefer replicas there. Default: none (no preference).</summary>
    public string? Region { get; init; }

    /// <summary>How often the replica registry is read. Default: 1 s.</summary>
    public TimeSpan RefreshInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How often each replica's <c>/v2/health/ready</c> is probed (YARP's active health check). Default: 5 s.</summary>
    public TimeSpan HealthCheckInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a probe may take before it counts as failed. Default: 2 s.</summary>
    public TimeSpan HealthCheckTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long a replica stays out after a connection to it failed (passive health) before it is
    /// tried again; the active probes keep it out meanwhile if it is still down. Default: 30 s.
    /// </summary>
    public TimeSpan ReactivationPeriod { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Retries allowed as a fraction of the requests in the budget's window. Default: 0.1 (at most 10% extra load).</summary>
    public double RetryBudgetRatio { get; init; } = 0.1;

    /// <summary>Retries always allowed per window, so that a quiet gateway can still retry. Default: 10.</summary>
    public int RetryBudgetFloor { get; init; } = 10;

    /// <summary>The sliding window of the retry budget. Default: 10 s.</summary>
    public TimeSpan RetryBudgetWindow { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Every problem with these settings, each naming the setting and what it expects; empty when they are valid.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(State))
        {
            problems.Add($"--state: required, the shared state's URI: {PostgresTarget.Form}");
        }
        else
        {
            _ = PostgresTarget.Parse(State, out var stateProblems);
            problems.AddRange(stateProblems.Select(p => $"--state: {p}"));
        }

        if (!System.Net.IPAddress.TryParse(Host, out _))
        {
            problems.Add($"--host: expected an IP address such as 0.0.0.0 or 127.0.0.1, got '{Host}'");
        }

        if (HttpPort is < 0 or > 65535)
        {
            problems.Add($"--http-port: expected a port from 0 to 65535, got {HttpPort.ToString(CultureInfo.InvariantCulture)}");
        }

        if (GrpcPort is < -1 or > 65535)
        {
            problems.Add($"--grpc-port: expected a port from 0 to 65535, or -1, got {GrpcPort.ToString(CultureInfo.InvariantCulture)}");
        }

        if (Region is { } region && string.IsNullOrWhiteSpace(region))
        {
            problems.Add("--region: expected a region name, got an empty one");
        }

        Positive(problems, "refresh interval", RefreshInterval);
        Positive(problems, "health check interval", HealthCheckInterval);
        Positive(problems, "health check timeout", HealthCheckTimeout);
        Positive(problems, "reactivation period", ReactivationPeriod);
        Positive(problems, "retry budget window", RetryBudgetWindow);
        if (RetryBudgetRatio is < 0 or > 1 || double.IsNaN(RetryBudgetRatio))
        {
            problems.Add($"retry budget ratio: expected a fraction from 0 to 1, got {RetryBudgetRatio.ToString(CultureInfo.InvariantCulture)}");
        }

        if (RetryBudgetFloor < 0)
        {
            problems.Add($"retry budget floor: expected 0 or more retries, got {RetryBudgetFloor.ToString(CultureInfo.InvariantCulture)}");
        }

        return problems;
    }

    private static void Positive(List<string> problems, string name, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            problems.Add($"{name}: expected a positive duration, got {value}");
        }
    }
}
