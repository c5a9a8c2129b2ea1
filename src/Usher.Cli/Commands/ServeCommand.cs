using System.CommandLine;
using System.Globalization;
using Usher.Server.Hosting;

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
        };

        var command = new Command("serve", "Serve the models of a repository over the Open Inference Protocol (REST).")
        {
            repository, httpPort, config, poll,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var overrides = new Dictionary<string, string>(StringComparer.Ordinal);
            var dir = parse.GetValue(repository);
            if (dir is not null)
            {
                overrides["repository:path"] = dir.FullName;
            }

            if (parse.GetValue(httpPort) is int port)
            {
                overrides["server:http_port"] = port.ToString(CultureInfo.InvariantCulture);
            }

            if (parse.GetValue(poll) is int seconds)
            {
                overrides["repository:poll_seconds"] = seconds.ToString(CultureInfo.InvariantCulture);
            }

            var configFile = parse.GetValue(config)?.FullName
                ?? (File.Exists(DefaultConfigFile) ? Path.GetFullPath(DefaultConfigFile) : null);
            return await RunAsync(configFile, overrides, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<int> RunAsync(string? configFile, Dictionary<string, string> overrides, CancellationToken cancellationToken)
    {
        var usesSamples = false;
        if (!overrides.ContainsKey("repository:path") && Environment.GetEnvironmentVariable("USHER_REPOSITORY__PATH") is null)
        {
            var samples = BundledSamples.Locate();
            if (samples is not null)
            {
                overrides["repository:path"] = samples;
                usesSamples = true;
            }
        }

        UsherSettings settings;
        try
        {
            settings = UsherSettings.Load(configFile, overrides);
        }
        catch (SettingsException ex)
        {
            await Console.Error.WriteLineAsync($"usher serve: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.BadSettings;
        }

        if (usesSamples && settings.Repository.Path == overrides["repository:path"])
        {
            BundledSamples.EnsureGenerated(settings.Repository.Path, Console.Out);
        }

        var app = UsherServer.Build(settings);
        await app.RunAsync().ConfigureAwait(false);
        _ = cancellationToken;
        return ExitCodes.Success;
    }
}
