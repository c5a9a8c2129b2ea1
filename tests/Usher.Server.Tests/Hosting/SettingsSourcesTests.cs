using Usher.Server.Hosting;
using Usher.Testing;

namespace Usher.Server.Tests.Hosting;

/// <summary>usher.yaml, <c>USHER_</c> variables and flags as configuration sources, on real files in a temporary folder.</summary>
public sealed class SettingsSourcesTests : IDisposable
{
    private static readonly Dictionary<string, string> NoFlags = [];
    private static readonly Dictionary<string, string> NoEnvironment = [];
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Load_EachKeyTakesTheValueOfTheHighestSourceThatSetsIt()
    {
        var file = Write("server:\n  http_port: 9001\n  grpc_port: 9101\n  max_tensor_bytes: 4096\nscheduling:\n  max_queue_size: 10\n" +
            $"repository:\n  path: {_dir.Path}\n");
        var env = new Dictionary<string, string>
        {
            ["USHER_SERVER__GRPC_PORT"] = "9102",
            ["USHER_SCHEDULING__MAX_QUEUE_SIZE"] = "20",
            ["USHER_ADMIN__TICK_MS"] = "250",
        };
        var flags = new Dictionary<string, string> { ["server:grpc_port"] = "9103", ["repository:poll_seconds"] = "3" };

        var settings = UsherSettings.Load(file, flags, env);

        Assert.Equal(9001, settings.Server.HttpPort);            // file only
        Assert.Equal(4096, settings.Server.MaxTensorBytes);      // file only
        Assert.Equal(9103, settings.Server.GrpcPort);            // file < environment < flag
        Assert.Equal(20, settings.Scheduling.MaxQueueSize);      // file < environment
        Assert.Equal(250, settings.Admin.TickMs);                // environment only
        Assert.Equal(3, settings.Repository.PollSeconds);        // flag only
        Assert.Equal(1, settings.Scheduling.RetryAfterSeconds);  // default
    }

    [Fact]
    public void Load_TheDocumentedUsherYaml_BindsEveryKey_NullKeepingTheDefault()
    {
        // The example of docs/configuration.md, "Server settings (usher.yaml)", with this folder as the repository.
        var file = Write($"""
            server:
              host: 0.0.0.0                    # address to listen on (an IP or localhost)
              http_port: 8000                  # --http-port; 0 picks a free port
              grpc_port: 8001                  # --grpc-port; h2c; 0 picks a free port, -1 = no gRPC
              grpc_max_message_bytes: 67108864 # larger gRPC messages get RESOURCE_EXHAUSTED (64 MiB)
              max_request_body_bytes: 67108864 # larger bodies get 413 (64 MiB)
              max_tensor_bytes: 268435456      # larger decoded input tensors get 400 (256 MiB)
              shutdown_timeout_seconds: 30     # how long SIGTERM/Ctrl-C waits for in-flight requests
            scheduling:
              max_queue_size: 1024             # per priority level of a version, when its config sets none
              max_in_flight_bytes: 1073741824  # bytes of requests being decoded, queued or run, across every model
              retry_after_seconds: 1           # Retry-After of a 503 for backpressure
            routing:
              key_parameter: null              # a request parameter that carries the routing key (e.g. user_id)
              observation_queue: 8192          # routed requests held for the control plane's observers before dropping
            admin:
              token: null                      # bearer token of the admin API; without one, loopback clients only
              data_dir: null                   # --data-dir; the control plane's state (usher.db); default: <repository>/.usher
              state: null                      # --state; postgresql://USER[:PASSWORD]@HOST[:PORT]/DB instead of usher.db, shared by replicas
              tick_ms: 1000                    # how often the rollout controller evaluates rollouts
            repository:
              path: {_dir.Path}
              poll_seconds: 0                  # --repository-poll; 0 = off
              load_parallelism: 4              # versions loaded at once
              unload_timeout_seconds: 30       # how long a replaced or unloaded version may drain
              strict_readiness: true           # /v2/health/ready needs every model ready
            """);

        var settings = UsherSettings.Load(file, NoFlags, NoEnvironment);

        Assert.Null(settings.Admin.Token);
        Assert.Null(settings.Admin.DataDir);
        Assert.Null(settings.Admin.State);
        Assert.Null(settings.Routing.KeyParameter);
        Assert.Equal(268435456L, settings.Server.MaxTensorBytes);
        Assert.Equal(1L << 30, settings.Scheduling.MaxInFlightBytes);
        Assert.Equal(8192, settings.Routing.ObservationQueue);
        Assert.True(settings.Repository.StrictReadiness);
        Assert.Equal(_dir.Path, settings.Repository.Path);
    }

    [Fact]
    public void Load_KeysIgnoreCaseAndUnderscores_InEverySource()
    {
        var file = Write($"Server:\n  HttpPort: 9001\nrepository:\n  PATH: {_dir.Path}\n  strict_readiness: false\n");
        var env = new Dictionary<string, string> { ["USHER_SCHEDULING__MAXQUEUESIZE"] = "7", ["usher_admin__tick_ms"] = "20" };

        var settings = UsherSettings.Load(file, new Dictionary<string, string> { ["Routing:Key_Parameter"] = "user_id" }, env);

        Assert.Equal(9001, settings.Server.HttpPort);
        Assert.False(settings.Repository.StrictReadiness);
        Assert.Equal(7, settings.Scheduling.MaxQueueSize);
        Assert.Equal(20, settings.Admin.TickMs);
        Assert.Equal("user_id", settings.Routing.KeyParameter);
    }

    [Fact]
    public void Load_SeveralProblemsInEverySource_ListsEachOnce_WithItsKeyAndSource()
    {
        var file = Write("server:\n  http_port: lots\n  colour: blue\nrepository:\n  poll_seconds: -2\nadmin: 5\n");
        var env = new Dictionary<string, string>
        {
            ["USHER_SCHEDULING__MAX_QUEUE_SIZE"] = "0",
            ["USHER_ROUTING__OBSERVATION_QUEUE"] = "many",
            ["USHER_CACHE__SIZE"] = "1",
        };
        var flags = new Dictionary<string, string> { ["repository:path"] = _dir.Combine("absent"), ["server:grpc_port"] = "70000" };

        var ex = Assert.Throws<SettingsException>(() => UsherSettings.Load(file, flags, env));

        string[] expected =
        [
            "usher.yaml line 2: server.http_port: expected an integer, got 'lots'",
            "usher.yaml line 3: unknown setting 'server.colour'; 'server' has: host, http_port, grpc_port, grpc_max_message_bytes, max_request_body_bytes, max_tensor_bytes, shutdown_timeout_seconds, log_format, api_keys_file, tls, rate_limits, memory_budget, model_load_timeout_seconds, model_memory_factor, timing_stages, inline_scheduling, warmup_seconds",
            "usher.yaml line 6: 'admin' must hold keys, e.g. 'admin:\\n  key: value'",
            "environment variable USHER_ROUTING__OBSERVATION_QUEUE: routing.observation_queue: expected an integer, got 'many'",
            "environment variable USHER_CACHE__SIZE: unknown setting 'USHER_CACHE__SIZE'; sections are: server, repository, scheduling, routing, admin, cluster",
            "server.grpc_port: expected a port from 0 to 65535, or -1 for no gRPC endpoint, got 70000",
            $"repository.path: the folder '{_dir.Combine("absent")}' does not exist; pass --model-repository DIR with a folder of <model>/<version>/model.onnx",
            "repository.poll_seconds: expected 0 (off) or a positive number of seconds, got -2",
            "scheduling.max_queue_size: expected at least 1, got 0",
        ];
        Assert.Equal(expected.Order(StringComparer.Ordinal), ex.Errors.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Load_NestedAccessSettings_BindFromYaml_AndAnUnknownNestedKeyIsNamed()
    {
        var file = Write($"repository:\n  path: {_dir.Path}\nserver:\n  rate_limits:\n    per_key: {{rate: 2.5, burst: 5}}\n    endpoints:\n      Fraud_v2: {{rate: 1}}\n");
        var settings = UsherSettings.Load(file, new Dictionary<string, string>(), new Dictionary<string, string>());
        var bad = Write($"repository:\n  path: {_dir.Path}\nserver:\n  rate_limits:\n    per_key: {{rate: fast, burts: 5}}\n");
        var ex = Assert.Throws<SettingsException>(() => UsherSettings.Load(bad, new Dictionary<string, string>(), new Dictionary<string, string>()));

        Assert.Equal(2.5, settings.Server.RateLimits!.PerKey!.Rate);
        Assert.Equal(5, settings.Server.RateLimits.PerKey.Burst);
        Assert.Equal(1, Assert.Single(settings.Server.RateLimits.Endpoints, e => e.Key == "Fraud_v2").Value.Rate);
        Assert.Equal(
            ["usher.yaml line 5: server.rate_limits.per_key.rate: expected a number, got 'fast'", "usher.yaml line 5: unknown setting 'server.rate_limits.per_key.burts'; 'server.rate_limits.per_key' has: rate, burst"],
            ex.Errors);
    }

    [Fact]
    public void Load_WithTheClientCommandsVariablesSet_IgnoresThem()
    {
        // The shell that runs `usher deploy` has these; `usher serve` started from it used to refuse them.
        var env = new Dictionary<string, string>
        {
            ["USHER_SERVER"] = "http://127.0.0.1:8000",
            ["USHER_TOKEN"] = "0123456789abcdef",
            ["USHER_SERVER__HTTP_PORT"] = "9005",
        };

        var settings = UsherSettings.Load(null, new Dictionary<string, string> { ["repository:path"] = _dir.Path }, env);

        Assert.Equal(9005, settings.Server.HttpPort);
        Assert.Null(settings.Admin.Token);
    }

    [Fact]
    public void YamlProvider_ListsAndNestedMappings_BecomeIndexedKeys_WithTheirLines()
    {
        var file = Write("streams:\n  - name: scores\n    topics: [a, b]\n  - name: fraud\nserver:\n  http_port: 1\n");
        var provider = new YamlSettingsProvider(file);

        provider.Load();

        Assert.Empty(provider.Problems);
        Assert.True(provider.TryGet("streams:0:name", out var first));
        Assert.Equal("scores", first);
        Assert.True(provider.TryGet("streams:0:topics:1", out var topic));
        Assert.Equal("b", topic);
        Assert.True(provider.TryGet("streams:1:name", out var second));
        Assert.Equal("fraud", second);
        Assert.Equal(new SettingOrigin("usher.yaml line 4", "streams[1].name"), provider.Origin("streams:1:name"));
        Assert.True(provider.TryGet("server:httpport", out var port));
        Assert.Equal("1", port);
    }

    [Fact]
    public void Load_AListWhereASettingIsExpected_SaysSo()
    {
        var file = Write($"server:\n  http_port: [1, 2]\nrepository:\n  path: {_dir.Path}\n");

        var ex = Assert.Throws<SettingsException>(() => UsherSettings.Load(file, NoFlags, NoEnvironment));

        Assert.Equal("usher.yaml line 2: server.http_port: expected a single value", Assert.Single(ex.Errors));
    }

    private string Write(string yaml)
    {
        var file = _dir.Combine("usher.yaml");
        File.WriteAllText(file, yaml);
        return file;
    }
}
