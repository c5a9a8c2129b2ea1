using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Usher.ControlPlane.Persistence;
using Usher.Server.Hosting;
using Usher.Streaming.Hosting;
using Usher.Streaming.Pipeline;
using Usher.Streaming.Transports;

namespace Usher.Cli.Commands;

/// <summary><c>usher serve</c>: runs the server on a model repository.</summary>
internal static class ServeCommand
{
    public const string DefaultConfigFile = "usher.yaml";

    public static Command Create()
    {
        var repository = new Option<DirectoryInfo?>("--model-repository", "-m")
        {
            Description = "Folder of <model>/<version>/model.onnx (+ optional <model>/config.yaml). Default: the bundled samples/models.",
            HelpName = "DIR",
        };
        var httpPort = new Option<int?>("--http-port")
        {
            Description = "Port of the REST (HTTP/1.1) endpoint. Default: 8000; 0 picks a free port.",
            HelpName = "N",
            CustomParser = result => ParseInteger(result, "--http-port", "a port from 0 to 65535"),
        };
        var grpcPort = new Option<int?>("--grpc-port")
        {
            Description = "Port of the gRPC endpoint (HTTP/2 without TLS). Default: 8001; 0 picks a free port; -1 turns gRPC off.",
            HelpName = "N",
            CustomParser = result => ParseInteger(result, "--grpc-port", "a port from 0 to 65535, or -1"),
        };
        var config = new Option<FileInfo?>("--config", "-c")
        {
            Description = $"Settings file (YAML). Default: ./{DefaultConfigFile} when it exists. Flags override its keys.",
            HelpName = "FILE",
        };
        var poll = new Option<int?>("--repository-poll")
        {
            Description = "Scan the repository every SECONDS and load new or changed versions in the background. Default: off.",
            HelpName = "SECONDS",
            CustomParser = result => ParseInteger(result, "--repository-poll", "a number of seconds"),
        };

        var dataDir = new Option<DirectoryInfo?>("--data-dir")
        {
            Description = "Folder of the control plane's state (route tables, rollouts, audit trail; SQLite). Default: <repository>/.usher, or a folder under ~/.local/state/usher when the repository is read-only.",
            HelpName = "DIR",
        };

        var state = new Option<string?>("--state")
        {
            Description = "A PostgreSQL database for the control plane's state, shared by replicas (admin.state): postgresql://USER[:PASSWORD]@HOST[:PORT]/DB; the password may also come from PGPASSWORD or a .pgpass file. Default: the SQLite file of --data-dir.",
            HelpName = "URI",
        };

        var region = new Option<string?>("--region")
        {
            Description = "With --state postgresql://...: this replica's region in the registry (cluster.region). Default: default.",
            HelpName = "NAME",
        };

        var labels = new Option<string[]>("--label")
        {
            Description = "With --state postgresql://...: this replica's labels in the registry, KEY=VALUE[,KEY=VALUE...], repeatable (cluster.labels), for example hw=cpu. Default: none.",
            HelpName = "KEY=VALUE",
            AllowMultipleArgumentsPerToken = false,
        };

        var advertise = new Option<string?>("--advertise")
        {
            Description = "With --state postgresql://...: the URL other machines reach this replica at (cluster.advertise), for example http://10.0.0.5:8000. Default: the address it listens on, which must then not be 0.0.0.0 or [::] (server.host).",
            HelpName = "URL",
        };

        var logFormat = new Option<string?>("--log-format")
        {
            Description = "Console log format: text (default) or json (one object per line, with the request id and trace id of the request it was written in).",
            HelpName = "text|json",
            CustomParser = result =>
            {
                var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
                if (text is "text" or "json")
                {
                    return text;
                }

                result.AddError($"--log-format: expected 'text' or 'json', got '{text}'");
                return null;
            },
        };

        var apiKeys = new Option<FileInfo?>("--api-keys-file")
        {
            Description = "File of API keys, one 'NAME KEY' per line: inference and metadata then need 'Authorization: Bearer KEY' or 'x-api-key: KEY'. Reloaded when it changes. Default: no keys.",
            HelpName = "FILE",
        };

        var memoryBudget = new Option<string?>("--memory-budget")
        {
            Description = "Memory the loaded model versions may take together (server.memory_budget): a size such as 2GiB, or a percent of the container's memory limit such as 60%. Versions then load on their first request and the least recently used idle ones are unloaded to make room. Default: none (every version loads at start).",
            HelpName = "SIZE|PERCENT",
        };

        var inlineScheduling = new Option<bool>("--inline-scheduling")
        {
            Description = "Run each request on the socket thread that read it (server.inline_scheduling): less CPU per answer for small models under load, a longer tail when the cores are shared. Default: off.",
        };

        var command = new Command("serve", "Serve the models of a repository over the Open Inference Protocol (REST and gRPC).")
        {
            repository, httpPort, grpcPort, config, poll, dataDir, state, region, labels, advertise, logFormat, apiKeys, memoryBudget, inlineScheduling,
        };
        command.SetAction(async parse =>
        {
            var (configFile, overrides) = Settings(parse);
            return await RunAsync(configFile, overrides).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>
    /// The settings file and the overrides a parsed <c>usher serve</c> command line gives: each flag
    /// as the <c>usher.yaml</c> key it sets. The chart's tests load the rendered pod's arguments
    /// through this, as the server does.
    /// </summary>
    internal static (string? ConfigFile, Dictionary<string, string> Overrides) Settings(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var overrides = new Dictionary<string, string>(StringComparer.Ordinal);
        var dir = parse.GetValue<DirectoryInfo?>("--model-repository");
        if (dir is not null)
        {
            overrides["repository:path"] = dir.FullName;
        }

        if (parse.GetValue<int?>("--http-port") is int port)
        {
            overrides["server:http_port"] = port.ToString(CultureInfo.InvariantCulture);
        }

        if (parse.GetValue<DirectoryInfo?>("--data-dir") is { } data)
        {
            overrides["admin:data_dir"] = data.FullName;
        }

        if (parse.GetValue<string?>("--state") is { } uri)
        {
            overrides["admin:state"] = uri;
        }

        if (parse.GetValue<string?>("--region") is { } regionName)
        {
            overrides["cluster:region"] = regionName;
        }

        if (parse.GetValue<string[]?>("--label") is { Length: > 0 } labelList)
        {
            overrides["cluster:labels"] = string.Join(',', labelList);
        }

        if (parse.GetValue<string?>("--advertise") is { } url)
        {
            overrides["cluster:advertise"] = url;
        }

        if (parse.GetValue<FileInfo?>("--api-keys-file") is { } keys)
        {
            overrides["server:api_keys_file"] = keys.FullName;
        }

        if (parse.GetValue<int?>("--grpc-port") is int grpc)
        {
            overrides["server:grpc_port"] = grpc.ToString(CultureInfo.InvariantCulture);
        }

        if (parse.GetValue<string?>("--log-format") is { } format)
        {
            overrides["server:log_format"] = format;
        }

        if (parse.GetValue<string?>("--memory-budget") is { } budget)
        {
            overrides["server:memory_budget"] = budget;
        }

        if (parse.GetValue<bool>("--inline-scheduling"))
        {
            overrides["server:inline_scheduling"] = "true";
        }

        if (parse.GetValue<int?>("--repository-poll") is int seconds)
        {
            overrides["repository:poll_seconds"] = seconds.ToString(CultureInfo.InvariantCulture);
        }

        var configFile = parse.GetValue<FileInfo?>("--config")?.FullName
            ?? (File.Exists(DefaultConfigFile) ? Path.GetFullPath(DefaultConfigFile) : null);
        return (configFile, overrides);
    }

    internal static int? ParseInteger(System.CommandLine.Parsing.ArgumentResult result, string flag, string expected)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        result.AddError($"{flag}: expected {expected}, got '{text}'");
        return null;
    }

    private static async Task<int> RunAsync(string? configFile, Dictionary<string, string> overrides)
    {
        // The bundled samples are the repository only when no source names one: a default, which
        // usher.yaml and USHER_REPOSITORY__PATH override as well as --model-repository.
        var samples = overrides.ContainsKey("repository:path") ? null : BundledSamples.Locate();
        var defaults = new Dictionary<string, string>(StringComparer.Ordinal);
        if (samples is not null)
        {
            defaults["repository:path"] = samples;
        }

        UsherSettings settings;
        try
        {
            settings = UsherSettings.Load(configFile, overrides, defaults: defaults);
        }
        catch (SettingsException ex)
        {
            await Console.Error.WriteLineAsync($"usher serve: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.BadSettings;
        }

        if (samples is not null && settings.Repository.Path == samples)
        {
            BundledSamples.EnsureGenerated(settings.Repository.Path, Console.Out);
        }

        // Before the first socket: the runtime reads the variable once, when the process makes one.
        if (SocketScheduling.Apply(settings.Server.InlineScheduling, Environment.GetEnvironmentVariable, Environment.SetEnvironmentVariable) is { } conflict)
        {
            await Console.Error.WriteLineAsync($"usher serve: {conflict}").ConfigureAwait(false);
            return ExitCodes.BadSettings;
        }

        if (SocketScheduling.IsInline(Environment.GetEnvironmentVariable(SocketScheduling.InlineCompletionsVariable)))
        {
            Console.WriteLine("usher serve: inline scheduling: each request runs on the socket thread that read it; a lone request goes to the thread pool");
        }

        // The streams: list, read and checked before anything starts.
        IReadOnlyList<StreamSpec> streams;
        try
        {
            streams = StreamsConfig.Load(configFile);
        }
        catch (StreamsConfigException ex)
        {
            await Console.Error.WriteLineAsync($"usher serve: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.BadSettings;
        }

        // Before the host starts: a state file that is in use, damaged, not writable or another
        // repository's, or a database that cannot be reached, stops start-up here, with its message
        // and nothing else.
        IStateHandle state;
        try
        {
            state = await UsherServer.OpenStateAsync(settings, CancellationToken.None).ConfigureAwait(false);
        }
        catch (StateStoreException ex)
        {
            await Console.Error.WriteLineAsync($"usher serve: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.BadSettings;
        }

        var app = UsherServer.Build(settings, builder => builder.Services.AddUsherStreams(streams), state);
        var streamsService = app.Services.GetService<StreamsService>(); // RunAsync disposes the container
        try
        {
            await app.RunAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (UsherSettings.Failures(ex) is { } failures)
        {
            // Options that a service registered and that its validator refused when the host started.
            await Console.Error.WriteLineAsync($"usher serve: {new SettingsException(failures).Message}").ConfigureAwait(false);
            return ExitCodes.BadSettings;
        }
        catch (StreamTransportException ex)
        {
            // A broker of streams: is not there: the server does not run without the streams it was given.
            await Console.Error.WriteLineAsync($"usher serve: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.BadSettings;
        }
        catch (IOException ex)
        {
            // Kestrel could not bind: the port is taken or the address is not this machine's.
            await Console.Error.WriteLineAsync($"usher serve: cannot listen on {settings.Server.Host}:{settings.Server.HttpPort} (REST) and {settings.Server.GrpcPort} (gRPC): {ex.Message}; pass --http-port and --grpc-port with free ports").ConfigureAwait(false);
            return ExitCodes.BadSettings;
        }

        if (streamsService?.Failure is { } failure)
        {
            // The host stopped because a stream failed for good, not because it was asked to.
            await Console.Error.WriteLineAsync($"usher serve: a stream stopped the server: {failure.Message}").ConfigureAwait(false);
            return ExitCodes.Failure;
        }

        return ExitCodes.Success;
    }
}
