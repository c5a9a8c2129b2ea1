using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Usher.Server.Frontends.Http;

namespace Usher.Server.Admin;

/// <summary>
/// Guards <c>/admin</c>: with <c>admin.token</c> set, a request needs <c>Authorization: Bearer TOKEN</c>
/// (401 otherwise); without one, only loopback clients are answered (403 otherwise), so an admin
/// API without a token is never open to the network.
/// </summary>
internal static class AdminAuthentication
{
    public static void UseAdminAuthentication(this IApplicationBuilder app, AdminOptions options)
    {
        var expected = options.Token is { Length: > 0 } token ? Encoding.UTF8.GetBytes("Bearer " + token) : null;
        app.Use(async (context, next) =>
        {
            if (!context.Request.Path.StartsWithSegments("/admin", StringComparison.Ordinal))
            {
                await next(context).ConfigureAwait(false);
                return;
            }

            if (expected is null)
            {
                var remote = context.Connection.RemoteIpAddress;
                if (remote is not null && !System.Net.IPAddress.IsLoopback(remote))
                {
                    await HttpErrors.WriteAsync(context, StatusCodes.Status403Forbidden, "the admin API answers only loopback clients unless admin.token is set (usher.yaml or USHER_ADMIN__TOKEN)").ConfigureAwait(false);
                    return;
                }
            }
            else
            {
                var header = context.Request.Headers.Authorization.ToString();
                if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header), expected))
                {
                    context.Response.Headers.WWWAuthenticate = "Bearer";
                    var why = header.Length == 0 ? "no Authorization header" : "a wrong token";
                    await HttpErrors.WriteAsync(context, StatusCodes.Status401Unauthorized, $"the admin API needs 'Authorization: Bearer TOKEN' with the server's admin.token; the request had {why} (CLI: --token or USHER_TOKEN)").ConfigureAwait(false);
                    return;
                }
            }

            await next(context).ConfigureAwait(false);
        });
    }
}
