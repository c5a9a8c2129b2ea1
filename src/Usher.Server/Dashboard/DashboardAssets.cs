using System.Collections.Frozen;
using System.Reflection;
using System.Security.Cryptography;

namespace Usher.Server.Dashboard;

/// <summary>
/// The dashboard's files (src/Usher.Server/Dashboard/wwwroot), embedded in the server's assembly under
/// the resource names <c>dashboard/PATH</c> and read once: nothing is read from disk or fetched from a
/// network at run time, so the dashboard works offline and cannot drift from the server it ships in.
/// </summary>
internal sealed class DashboardAssets
{
    private const string Prefix = "dashboard/";

    private static readonly FrozenDictionary<string, string> ContentTypes = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".svg"] = "image/svg+xml",
        [".png"] = "image/png",
        [".md"] = "text/plain; charset=utf-8",
        [""] = "text/plain; charset=utf-8",
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    private readonly FrozenDictionary<string, DashboardAsset> _assets;

    public DashboardAssets()
        : this(typeof(DashboardAssets).Assembly)
    {
    }

    internal DashboardAssets(Assembly assembly)
    {
        var assets = new Dictionary<string, DashboardAsset>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var bytes = copy.ToArray();
            var path = name[Prefix.Length..].Replace('\\', '/');
            var type = ContentTypes.GetValueOrDefault(System.IO.Path.GetExtension(path)) ?? "application/octet-stream";
            var etag = "\"" + Convert.ToHexStringLower(SHA256.HashData(bytes).AsSpan(0, 16)) + "\"";
            assets[path] = new DashboardAsset(path, type, bytes, etag);
        }

        _assets = assets.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>Every embedded file by its path.</summary>
    public IReadOnlyDictionary<string, DashboardAsset> All => _assets;

    /// <summary>The file at <paramref name="path"/> (empty: <c>index.html</c>), or null.</summary>
    public DashboardAsset? Find(string? path) => _assets.GetValueOrDefault(string.IsNullOrEmpty(path) ? "index.html" : path);
}
