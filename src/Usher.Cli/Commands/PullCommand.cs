using System.CommandLine;
using Usher.Cli.Admin;
using Usher.Cli.Pull;

namespace Usher.Cli.Commands;

/// <summary>
/// <c>usher pull ENDPOINT --to DIR</c>: asks the server which version the endpoint's route table
/// serves (<c>GET /admin/endpoints</c>) and downloads its artifact into <c>DIR/&lt;model&gt;/&lt;version&gt;/model.onnx</c>,
/// verified and atomically (docs/engine.md). An engine watching DIR loads it; if the server cannot
/// be reached, DIR is left as it was and the last good version keeps serving.
/// </summary>
internal static class PullCommand
{
    public static Command Create(ClientEnvironment env)
    {
        var endpoint = new Argument<string>("ENDPOINT") { Description = "The endpoint whose served version to fetch." };
        var to = new Option<string>("--to")
        {
            Description = "The model repository to place it in, as DIR/<model>/<version>/model.onnx.",
            HelpName = "DIR",
            Required = true,
        };
        var server = new Option<string?>("--server")
        {
            Description = $"The Usher server's URL. Default: ${ClientOptions.ServerVariable}, else {ClientOptions.DefaultServer}.",
            HelpName = "URL",
        };
        var token = new Option<string?>("--token")
        {
            Description = $"Admin token, sent as 'Authorization: Bearer TOKEN'. Default: ${ClientOptions.TokenVariable}.",
            HelpName = "TOKEN",
        };
        var command = new Command("pull", "Download the model version an endpoint serves into a local repository (for the embedded engine), verified, atomically, resuming an interrupted download.")
        {
            endpoint, to, server, token,
        };
        command.SetAction((parse, ct) => RunAsync(parse, env, parse.GetValue(endpoint)!, parse.GetValue(to)!, parse.GetValue(server), parse.GetValue(token), ct));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, ClientEnvironment env, string endpoint, string folder, string? serverFlag, string? tokenFlag, CancellationToken cancellationToken)
    {
        var output = parse.InvocationConfiguration.Output;
        var error = parse.InvocationConfiguration.Error;
        var options = ClientOptions.Resolve(serverFlag, tokenFlag, OutputFormat.Table, env.GetVariable, out var problem);
        if (options is null)
        {
            return ClientFlags.Refuse(parse, [problem!]);
        }

        // No overall timeout: a model file may take long on a slow link; an interrupted one resumes.
        using var http = new HttpClient(env.CreateHandler()) { Timeout = Timeout.InfiniteTimeSpan };
        using var listingTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        listingTimeout.CancelAfter(TimeSpan.FromSeconds(30));
        var listing = await new AdminClient(http, options).GetEndpointsAsync(listingTimeout.Token).ConfigureAwait(false);
        if (listing.Error is { } failure)
        {
            failure.WriteTo(error, "usher pull");
            return ExitCodes.Failure;
        }

        var served = ServedVersion.Choose(listing.Body, endpoint, out problem);
        if (served is null)
        {
            await error.WriteLineAsync($"usher pull: {problem}").ConfigureAwait(false);
            return ExitCodes.Failure;
        }

        var result = await new ArtifactPuller(http, options.Server, options.Token).PullAsync(served, folder, cancellationToken).ConfigureAwait(false);
        if (result.Error is not null)
        {
            await error.WriteLineAsync($"usher pull: {result.Error}").ConfigureAwait(false);
            return ExitCodes.Failure;
        }

        var what = result.UpToDate
            ? "up to date"
            : result.ResumedAt > 0 ? $"{result.Bytes} bytes, resumed at byte {result.ResumedAt}" : $"{result.Bytes} bytes";
        await output.WriteLineAsync($"{endpoint} serves {served}: {result.Path} ({what}, sha256 {result.Sha256})").ConfigureAwait(false);
        return ExitCodes.Success;
    }
}
