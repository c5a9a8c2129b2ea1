using Usher.Core.Hosting;

namespace Usher.Server.Hosting;

/// <summary>
/// The rules of <see cref="ServerOptions"/>, defined once: every problem is reported, each naming its
/// key (<c>server.http_port</c>); run at start-up by <c>ValidateOnStart</c>.
/// </summary>
internal sealed class ServerOptionsValidator : ProblemsValidator<ServerOptions>
{
    /// <inheritdoc />
    protected override IEnumerable<string> Check(ServerOptions options)
    {
        if (!System.Net.IPAddress.TryParse(options.Host, out _) && options.Host != "localhost")
        {
            yield return $"server.host: expected an IP address or 'localhost', got '{options.Host}'";
        }

        if (options.HttpPort is < 0 or > 65535)
        {
            yield return $"server.http_port: expected a port from 0 to 65535, got {options.HttpPort}";
        }

        if (options.GrpcPort is < -1 or > 65535)
        {
            yield return $"server.grpc_port: expected a port from 0 to 65535, or -1 for no gRPC endpoint, got {options.GrpcPort}";
        }
        else if (options.GrpcPort > 0 && options.GrpcPort == options.HttpPort)
        {
            yield return $"server.grpc_port: {options.GrpcPort} is also server.http_port; give gRPC its own port (default 8001)";
        }

        if (options.GrpcMaxMessageBytes < 1)
        {
            yield return $"server.grpc_max_message_bytes: expected a positive number of bytes, got {options.GrpcMaxMessageBytes}";
        }

        if (options.MaxRequestBodyBytes < 1)
        {
            yield return $"server.max_request_body_bytes: expected a positive number of bytes, got {options.MaxRequestBodyBytes}";
        }

        if (options.MaxTensorBytes < 1)
        {
            yield return $"server.max_tensor_bytes: expected a positive number of bytes, got {options.MaxTensorBytes}";
        }

        if (options.LogFormat is not (Telemetry.ServerLogging.Text or Telemetry.ServerLogging.Json))
        {
            yield return $"server.log_format: expected 'text' or 'json', got '{options.LogFormat}'";
        }

        if (options.ShutdownTimeoutSeconds < 1)
        {
            yield return $"server.shutdown_timeout_seconds: expected at least 1, got {options.ShutdownTimeoutSeconds}";
        }

        if (options.MemoryBudget is { } budget)
        {
            MemoryBudgetSetting.Resolve(budget, options.CgroupRoot, out var problem);
            if (problem is not null)
            {
                yield return problem;
            }
        }

        if (!(options.ModelMemoryFactor >= 1) || double.IsInfinity(options.ModelMemoryFactor))
        {
            yield return $"server.model_memory_factor: expected a number of at least 1 (a version counts as its model file times it), got {options.ModelMemoryFactor}";
        }

        if (!(options.WarmupSeconds is >= 0 and <= 60))
        {
            yield return $"server.warmup_seconds: expected seconds from 0 (no warm-up through the frontends) to 60, got {options.WarmupSeconds}";
        }

        if (options.ModelLoadTimeoutSeconds < 1)
        {
            yield return $"server.model_load_timeout_seconds: expected at least 1, got {options.ModelLoadTimeoutSeconds}";
        }

        foreach (var problem in AccessSettingsRules.Problems(options))
        {
            yield return problem;
        }
    }
}
