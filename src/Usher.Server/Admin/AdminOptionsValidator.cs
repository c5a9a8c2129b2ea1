using Usher.ControlPlane.Persistence.Postgres;
using Usher.Core.Hosting;

namespace Usher.Server.Admin;

/// <summary>
/// The rules of <see cref="AdminOptions"/>, defined once: every problem is reported, each naming its
/// key (<c>admin.tick_ms</c>); run at start-up by <c>ValidateOnStart</c>.
/// </summary>
internal sealed class AdminOptionsValidator : ProblemsValidator<AdminOptions>
{
    /// <inheritdoc />
    protected override IEnumerable<string> Check(AdminOptions options)
    {
        if (options.Token is { Length: > 0 and < 16 })
        {
            yield return $"admin.token: expected at least 16 characters, got {options.Token.Length} (a short token is easy to guess)";
        }

        if (options.TokenFile is { } file)
        {
            if (options.Token is { Length: > 0 })
            {
                yield return "admin.token_file: admin.token is set too; keep one of them";
            }

            var problems = string.IsNullOrWhiteSpace(file)
                ? ["expected a file of admin tokens, got an empty value (leave it out for admin.token)"]
                : Access.CredentialFile.Read(file, allowBareToken: true).Problems;
            foreach (var problem in problems)
            {
                yield return $"admin.token_file: {problem}";
            }
        }

        if (options.DataDir is not null && string.IsNullOrWhiteSpace(options.DataDir))
        {
            yield return "admin.data_dir: expected a folder for the control plane's state, got an empty value (leave it out to keep the state with the repository)";
        }

        if (options.State is { } state)
        {
            if (options.DataDir is not null)
            {
                yield return "admin.state: admin.data_dir (--data-dir) is set too; keep one of them: admin.state (--state) for a PostgreSQL database that replicas share, admin.data_dir for a SQLite file of this server's own";
            }

            _ = PostgresTarget.Parse(state, out var problems);
            var hint = PostgresTarget.IsPostgres(state) ? string.Empty : " (SQLite, the default, needs no --state: leave it out, or use --data-dir for its folder)";
            foreach (var problem in problems)
            {
                yield return $"admin.state: {problem}{hint}";
            }
        }

        if (options.TickMs is < 10 or > 60_000)
        {
            yield return $"admin.tick_ms: expected 10 to 60000, got {options.TickMs}";
        }
    }
}
