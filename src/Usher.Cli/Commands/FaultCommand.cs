using System.CommandLine;
using System.Globalization;
using Usher.Cli.Admin;
using Usher.ControlPlane.Api;

namespace Usher.Cli.Commands;

/// <summary>
/// <c>usher fault ENDPOINT --version V ...</c>: injects errors and delays into one version of an
/// endpoint (to rehearse a rollback), or clears them with <c>--clear</c>; with <c>--replica ID</c> on
/// one replica of the shared state only.
/// </summary>
internal static class FaultCommand
{
    /// <summary>The status an aborted request answers when <c>--status</c> is not given.</summary>
    public const int DefaultAbortStatus = 503;

    public static Command Create(ClientEnvironment env)
    {
        var endpoint = new Argument<string>("ENDPOINT") { Description = "The endpoint, e.g. fraud." };
        var version = new Option<string?>("--version") { Description = "The version to hurt (required).", HelpName = "V" };
        var abort = new Option<string?>("--abort") { Description = "Fail this fraction of the version's requests (0 to 1).", HelpName = "FRACTION" };
        var status = new Option<string?>("--status") { Description = $"The HTTP status of an aborted request (400 to 599). Default: {DefaultAbortStatus}.", HelpName = "CODE" };
        var delayMs = new Option<string?>("--delay-ms") { Description = "Delay requests by this many milliseconds.", HelpName = "MS" };
        var delayFraction = new Option<string?>("--delay-fraction") { Description = "The fraction of requests delayed (0 to 1). Default with --delay-ms: 1.", HelpName = "F" };
        var clear = new Option<bool>("--clear") { Description = "Remove the version's fault instead of setting one (the fault for every replica; with --replica, that replica's own)." };
        var replica = new Option<string?>("--replica") { Description = "Only on the replica with this id (see `usher replicas`; needs servers started with --state postgresql://...). On that replica it wins over a fault of the version for every replica.", HelpName = "ID" };

        var command = new Command("fault", "Inject errors or delays into one version of an endpoint, e.g. to rehearse an automatic rollback; --clear removes them.")
        {
            endpoint, version, abort, status, delayMs, delayFraction, clear, replica,
        };
        var client = new ClientFlags(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var problems = new List<string>();
            var v = Version(parse.GetValue(version), problems);
            var only = parse.GetValue(replica);
            if (only is { Length: 0 })
            {
                problems.Add("--replica: expected a replica id (see `usher replicas`), got an empty one");
            }

            FaultDto? fault = null;
            if (parse.GetValue(clear))
            {
                var extra = new[] { ("--abort", parse.GetValue(abort)), ("--status", parse.GetValue(status)), ("--delay-ms", parse.GetValue(delayMs)), ("--delay-fraction", parse.GetValue(delayFraction)) }
                    .Where(f => f.Item2 is not null).Select(f => f.Item1).ToList();
                if (extra.Count > 0)
                {
                    problems.Add($"--clear removes the fault; drop {string.Join(", ", extra)} or drop --clear");
                }
            }
            else
            {
                fault = ReadFault(parse.GetValue(abort), parse.GetValue(status), parse.GetValue(delayMs), parse.GetValue(delayFraction), problems);
                fault = fault is null ? null : fault with { Replica = only };
            }

            if (problems.Count > 0)
            {
                return ClientFlags.Refuse(parse, problems);
            }

            var name = parse.GetValue(endpoint)!;
            return await client.RunAsync(
                parse,
                env,
                (admin, ct) => fault is null ? admin.ClearFaultAsync(name, v!.Value, only, ct) : admin.SetFaultAsync(name, v!.Value, fault, ct),
                FaultView.Write,
                cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>
    /// The body of <c>PUT /admin/endpoints/{e}/faults/{version}</c> from the flags, with every field
    /// spelled out; null with the problems added when a flag is refused or nothing is asked for.
    /// </summary>
    public static FaultDto? ReadFault(string? abort, string? status, string? delayMs, string? delayFraction, List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        var before = problems.Count;
        if (abort is null && delayMs is null && status is null && delayFraction is null)
        {
            problems.Add("nothing to inject: pass --abort FRACTION and/or --delay-ms MS [--delay-fraction F], or --clear to remove the fault");
            return null;
        }

        var abortFraction = abort is null ? 0 : Fraction(abort, "--abort", problems);
        if (status is not null && abort is null)
        {
            problems.Add("--status applies to aborted requests; add --abort FRACTION");
        }

        var abortStatus = DefaultAbortStatus;
        if (status is not null && !(int.TryParse(status, NumberStyles.None, CultureInfo.InvariantCulture, out abortStatus) && abortStatus is >= 400 and <= 599))
        {
            problems.Add($"--status: expected an HTTP error status from 400 to 599, got '{status}'");
        }

        long delay = 0;
        if (delayMs is not null && !(long.TryParse(delayMs, NumberStyles.None, CultureInfo.InvariantCulture, out delay) && delay > 0))
        {
            problems.Add($"--delay-ms: expected a positive number of milliseconds, got '{delayMs}'");
        }

        var share = delayMs is null ? 0 : delayFraction is null ? 1 : Fraction(delayFraction, "--delay-fraction", problems);
        if (delayFraction is not null && delayMs is null)
        {
            problems.Add("--delay-fraction needs --delay-ms MS");
        }

        return problems.Count > before
            ? null
            : new FaultDto(null, abortFraction, abortStatus, delay, share);
    }

    private static long? Version(string? text, List<string> problems)
    {
        if (text is null)
        {
            problems.Add("--version: missing; name the version to inject the fault into, e.g. --version 2");
            return null;
        }

        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var version) && version > 0)
        {
            return version;
        }

        problems.Add($"--version: expected a positive integer, got '{text}'");
        return null;
    }

    private static double Fraction(string text, string flag, List<string> problems)
    {
        if (double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) && value is >= 0 and <= 1)
        {
            return value;
        }

        problems.Add($"{flag}: expected a fraction from 0 to 1 (0.1 is 10%), got '{text}'");
        return 0;
    }
}
