using System.Globalization;
using Usher.Server.Access;

namespace Usher.Server.Hosting;

/// <summary>
/// The rules of the access settings of <see cref="ServerOptions"/> (<c>server.api_keys_file</c>,
/// <c>server.tls</c>, <c>server.rate_limits</c>): the files are read and checked, so that a key file
/// with a bad line or a certificate that does not match its key stops start-up with the others.
/// </summary>
internal static class AccessSettingsRules
{
    /// <summary>The fastest refill accepted, requests a second.</summary>
    public const double MaxRate = 1_000_000;

    /// <summary>Every problem, each naming its key.</summary>
    public static IEnumerable<string> Problems(ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.ApiKeysFile is { } file)
        {
            var problems = string.IsNullOrWhiteSpace(file)
                ? ["expected a file of 'NAME KEY' lines, got an empty value (leave it out for no keys)"]
                : CredentialFile.Read(file, allowBareToken: false).Problems;
            foreach (var problem in problems)
            {
                yield return $"server.api_keys_file: {problem}";
            }
        }

        if (options.Tls is { } tls)
        {
            foreach (var problem in TlsCertificate.Problems(tls))
            {
                yield return problem;
            }
        }

        if (options.RateLimits is { } limits)
        {
            foreach (var problem in Rule("server.rate_limits.global", limits.Global).Concat(Rule("server.rate_limits.per_key", limits.PerKey)))
            {
                yield return problem;
            }

            foreach (var (endpoint, rule) in limits.Endpoints.OrderBy(e => e.Key, StringComparer.Ordinal))
            {
                foreach (var problem in Rule($"server.rate_limits.endpoints.{endpoint}", rule))
                {
                    yield return problem;
                }
            }
        }
    }

    private static IEnumerable<string> Rule(string key, RateLimitRule? rule)
    {
        if (rule is null)
        {
            yield break;
        }

        if (!(rule.Rate > 0 && rule.Rate <= MaxRate))
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"{key}.rate: expected requests a second above 0 and at most {MaxRate}, got {rule.Rate}");
        }

        if (rule.Burst is < 0 or > (int)MaxRate)
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"{key}.burst: expected 1 to {MaxRate} requests (leave it out for the rate rounded up), got {rule.Burst}");
        }
    }
}
