using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Net.Http.Headers;
using Usher.Core.Repository;
using Usher.Core.Telemetry;
using Usher.Server.Admin;
using Usher.Server.Frontends.Http;

namespace Usher.Server.Dashboard;

/// <summary>
/// The live dashboard (docs/dashboard.md): its static page at <c>/dashboard/</c>, open like the
/// health endpoints since it holds no data, and the two data routes it adds to the admin API,
/// <c>GET /admin/dashboard/metrics</c> and <c>GET /admin/dashboard/models</c>, which carry the admin
/// credential like every other admin route. Everything else the page shows comes from the admin API's
/// existing routes.
/// </summary>
internal static class DashboardEndpoints
{
    // The page loads only its own files and talks only to its own server.
    private const string ContentSecurityPolicy =
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

    public static IServiceCollection AddUsherDashboard(this IServiceCollection services)
    {
        services.AddSingleton<DashboardAssets>();
        services.AddSingleton(sp => new DashboardRecorder(sp.GetRequiredService<UsherMetrics>()));
        services.AddSingleton(sp => new DashboardSampler(sp.GetRequiredService<DashboardRecorder>(), sp.GetRequiredService<TimeProvider>()));
        return services;
    }

    public static void MapUsherDashboard(this IEndpointRouteBuilder routes)
    {
        // Relative links in the page resolve against /dashboard/, so the bare path moves there. Routing
        // matches "/dashboard/" to this route too (it ignores a trailing slash): that one is the page.
        routes.MapGet("/dashboard", (HttpContext context) => context.Request.Path.Value?.EndsWith('/') == true
            ? ServeAssetAsync(context)
            : Results.Redirect(context.Request.PathBase + "/dashboard/").ExecuteAsync(context));
        routes.MapGet("/dashboard/{**path}", ServeAssetAsync);

        var admin = routes.MapGroup("/admin/dashboard").RequireAdminAccess();
        admin.MapGet("/metrics", MetricsAsync);
        admin.MapGet("/models", ModelsAsync);
    }

    private static async Task ServeAssetAsync(HttpContext context)
    {
        var path = context.GetRouteValue("path") as string;
        var asset = context.RequestServices.GetRequiredService<DashboardAssets>().Find(path);
        if (asset is null)
        {
            await HttpErrors.WriteAsync(context, StatusCodes.Status404NotFound, $"dashboard: no file '{path}'; the dashboard is at /dashboard/").ConfigureAwait(false);
            return;
        }

        var headers = context.Response.Headers;
        headers.ETag = asset.ETag;
        // Revalidate every time: a 304 costs little, and an upgraded server never serves a stale script.
        headers.CacheControl = "no-cache";
        headers.XContentTypeOptions = "nosniff";
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        if (Matches(context.Request.Headers.IfNoneMatch, asset.ETag))
        {
            context.Response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = asset.ContentType;
        context.Response.ContentLength = asset.Content.Length;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await context.Response.Body.WriteAsync(asset.Content, context.RequestAborted).ConfigureAwait(false);
        }
    }

    private static bool Matches(Microsoft.Extensions.Primitives.StringValues ifNoneMatch, string etag)
    {
        if (ifNoneMatch.Count == 0 || !EntityTagHeaderValue.TryParseList(ifNoneMatch, out var tags))
        {
            return false;
        }

        var ours = new EntityTagHeaderValue(etag);
        return tags.Any(t => t.Equals(EntityTagHeaderValue.Any) || t.Compare(ours, useStrongComparison: false));
    }

    private static Task MetricsAsync(HttpContext context)
    {
        var view = context.RequestServices.GetRequiredService<DashboardSampler>().Read();
        return JsonResponse.WriteAsync(context, StatusCodes.Status200OK, w => DashboardJson.Write(w, view));
    }

    private static Task ModelsAsync(HttpContext context)
    {
        var models = context.RequestServices.GetRequiredService<ModelManager>();
        var now = context.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
        using var process = Process.GetCurrentProcess();
        var workingSet = process.WorkingSet64;
        return JsonResponse.WriteAsync(context, StatusCodes.Status200OK, w =>
        {
            w.WriteStartObject();
            w.WriteString("at", now);
            w.WriteStartObject("process");
            w.WriteNumber("working_set_bytes", workingSet);
            w.WriteNumber("gc_heap_bytes", GC.GetTotalMemory(forceFullCollection: false));
            w.WriteEndObject();
            w.WriteStartArray("models");
            foreach (var model in models.Models)
            {
                w.WriteStartObject();
                w.WriteString("name", model.Name);
                w.WriteString("state", model.Unloaded ? "UNLOADED" : State(model.State));
                WriteNullable(w, "reason", model.Reason);
                w.WriteStartArray("versions");
                foreach (var slot in model.Versions)
                {
                    w.WriteStartObject();
                    w.WriteNumber("version", slot.Version);
                    w.WriteString("state", State(slot.State));
                    WriteNullable(w, "reason", slot.Reason);
                    w.WriteNumber("in_flight", slot.Loaded?.InFlight ?? 0);
                    w.WriteNumber("pending", slot.Loaded?.Pending ?? 0);
                    w.WriteNumber("cache_bytes", slot.Loaded?.Cache?.Bytes ?? 0);
                    w.WriteNumber("file_bytes", FileBytes(models.RepositoryPath, model.Name, slot.Version));
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    private static string State(ModelState state) => state.ToString().ToUpperInvariant();

    private static void WriteNullable(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, value);
        }
    }

    // The size on disk of a version's folder (the model file and anything beside it).
    private static long FileBytes(string repository, string model, long version)
    {
        var folder = Path.Combine(repository, model, version.ToString(CultureInfo.InvariantCulture));
        try
        {
            return Directory.Exists(folder)
                ? Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length)
                : 0;
        }
        catch (IOException)
        {
            return 0;
        }
        catch (UnauthorizedAccessException)
        {
            return 0;
        }
    }
}
