using System.Net;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Usher.Server.Frontends.Http;

namespace Usher.Server.Admin;

/// <summary>
/// Guards the endpoints that carry <see cref="AdminAccessAttribute"/>: with <c>admin.token</c> (or <c>admin.token_file</c>) set, a
/// request needs <c>Authorization: Bearer TOKEN</c> (401 otherwise; the scheme in any case); without
/// one, only loopback clients are answered (403 otherwise), so a control surface without a token is
/// never open to the network. The check follows the endpoint that routing chose, never the path's
/// spelling: routing ignores case, so a path test would not.
/// </summary>
internal static class AdminAuthentication
{
    private const string Scheme = "Bearer";

    /// <summary>Marks the endpoints built by <paramref name="builder"/> (a route group or one route) as needing the admin credential.</summary>
    public static TBuilder RequireAdminAccess<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
        => builder.WithMetadata(AdminAccessAttribute.Instance);

    /// <summary>
    /// Adds the guard; it must run after routing has chosen the endpoint. The credential's name becomes
    /// the request's user, and an action that passed is audited once answered (<see cref="AdminAudit"/>).
    /// </summary>
    public static void UseAdminAuthentication(this IApplicationBuilder app)
    {
        var credentials = app.ApplicationServices.GetRequiredService<AdminCredentials>();
        var audit = app.ApplicationServices.GetRequiredService<AdminAudit>();
        // Every other request passes straight on, without a state machine of this guard's own: the
        // inference path goes through here on every answer.
        app.Use(next => context => context.GetEndpoint()?.Metadata.GetMetadata<AdminAccessAttribute>() is null
            ? next(context)
            : GuardAsync(context, next, credentials, audit));
    }

    private static async Task GuardAsync(HttpContext context, RequestDelegate next, AdminCredentials credentials, AdminAudit audit)
    {
        if (!credentials.Required)
        {
            var remote = context.Connection.RemoteIpAddress;
            if (remote is not null && !IPAddress.IsLoopback(remote))
            {
                audit.Refused(context, StatusCodes.Status403Forbidden, "a remote client and no admin token configured");
                await RefuseAsync(context, StatusCodes.Status403Forbidden, "the admin API answers only loopback clients unless admin.token or admin.token_file is set (usher.yaml or USHER_ADMIN__TOKEN)").ConfigureAwait(false);
                return;
            }

            context.User = AdminCredentials.Loopback;
        }
        else
        {
            var header = context.Request.Headers.Authorization.ToString();
            var presented = Bearer(header);
            var credential = presented.IsEmpty ? null : credentials.Find(presented);
            if (credential is null)
            {
                context.Response.Headers.WWWAuthenticate = Scheme;
                var why = header.Length == 0 ? "no Authorization header" : "a wrong token";
                audit.Refused(context, StatusCodes.Status401Unauthorized, why);
                await RefuseAsync(context, StatusCodes.Status401Unauthorized, $"the admin API needs 'Authorization: Bearer TOKEN' with the server's admin token (admin.token or admin.token_file); the request had {why} (CLI: --token or USHER_TOKEN)").ConfigureAwait(false);
                return;
            }

            context.User = credential.Principal;
        }

        await next(context).ConfigureAwait(false);
        if (AdminAudit.IsAudited(context))
        {
            audit.Record(context);
        }
    }

    /// <summary>The credentials of <c>Bearer CREDENTIALS</c> (the scheme in any case, RFC 9110 11.1), empty for any other header.</summary>
    internal static ReadOnlySpan<char> Bearer(string header)
    {
        var trimmed = header.AsSpan().Trim(' ');
        var space = trimmed.IndexOf(' ');
        return space < 0 || !trimmed[..space].Equals(Scheme, StringComparison.OrdinalIgnoreCase)
            ? []
            : trimmed[(space + 1)..].TrimStart(' ');
    }

    private static Task RefuseAsync(HttpContext context, int status, string message)
    {
        if (context.Request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) != true)
        {
            return HttpErrors.WriteAsync(context, status, message);
        }

        // A gRPC call gets a trailers-only answer with the gRPC status, as the service itself would end it.
        var code = status == StatusCodes.Status401Unauthorized ? StatusCode.Unauthenticated : StatusCode.PermissionDenied;
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/grpc";
        context.Response.Headers["grpc-status"] = ((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture);
        context.Response.Headers["grpc-message"] = Uri.EscapeDataString(message);
        return Task.CompletedTask;
    }
}
