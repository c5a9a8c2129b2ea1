using System.Globalization;
using System.Text.Json;
using Usher.Cli.Admin;
using Usher.ControlPlane.Api;

namespace Usher.Cli.Pull;

/// <summary>The model version an endpoint's route table serves, as <c>GET /admin/endpoints</c> lists it.</summary>
/// <param name="Model">The variant's model.</param>
/// <param name="Version">The variant's version.</param>
internal sealed record ServedVersion(string Model, long Version)
{
    /// <summary>
    /// The variant with the most traffic (during a canary, the stable version; after a promotion, the
    /// new one); on a tie, the newer version. Null with the reason when the endpoint is not listed.
    /// </summary>
    public static ServedVersion? Choose(JsonElement listing, string endpoint, out string? problem)
    {
        var endpoints = AdminDto.Read(listing, AdminJsonContext.Default.EndpointListDto)?.Endpoints ?? [];
        var match = endpoints.FirstOrDefault(e => e.Name == endpoint);
        if (match is null)
        {
            var names = endpoints.Select(e => JsonFields.Text(e.Name)).ToList();
            problem = $"the server has no endpoint '{endpoint}' (endpoints: {(names.Count == 0 ? "none" : string.Join(", ", names))})";
            return null;
        }

        var best = (match.Variants ?? [])
            .Select(v => (Model: v.Model ?? JsonFields.Missing, v.Version, v.Weight))
            .Where(v => v.Version > 0 && v.Weight > 0)
            .OrderByDescending(v => v.Weight)
            .ThenByDescending(v => v.Version)
            .FirstOrDefault();
        if (best.Model is null)
        {
            problem = $"endpoint '{endpoint}' sends traffic to no version";
            return null;
        }

        problem = null;
        return new ServedVersion(best.Model, best.Version);
    }

    /// <summary><c>fraud:2</c>.</summary>
    public override string ToString() => $"{Model}:{Version.ToString(CultureInfo.InvariantCulture)}";
}
