using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;

namespace Usher.Server.Tests.Admin;

/// <summary>Lets a test choose the client address the server sees (TestServer has none), through a header.</summary>
internal sealed class RemoteAddressFilter : IStartupFilter
{
    public const string Header = "x-test-remote-address";

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use((context, nextMiddleware) =>
        {
            if (context.Request.Headers.TryGetValue(Header, out var address))
            {
                context.Connection.RemoteIpAddress = IPAddress.Parse(address.ToString());
            }

            return nextMiddleware(context);
        });
        next(app);
    };
}
