// The HTTP limit for Usher's benchmarks: the same Kestrel host, HTTP and JSON work as an Usher
// inference request (read the body, parse it, read every number of every input, write a fraud-shaped
// answer), with no model behind it. Usher's throughput divided by this one's is the share that
// HTTP and JSON leave to inference and to Usher's own code.
using System.Globalization;
using System.IO.Pipelines;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

var port = 8001;
for (var i = 0; i < args.Length; i++)
{
    if (args[i] == "--port" && i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p <= 65535)
    {
        port = p;
        i++;
    }
    else
    {
        Console.Error.WriteLine($"BareKestrel: unknown or malformed argument '{args[i]}'; usage: BareKestrel [--port N]");
        return 2;
    }
}

// As Usher's host: the slim builder, one-line console logs, ASP.NET Core's own logs at Warning.
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.AddSimpleConsole(o =>
{
    o.SingleLine = true;
    o.TimestampFormat = "HH:mm:ss ";
});
builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
builder.WebHost.ConfigureKestrel(kestrel =>
{
    kestrel.AddServerHeader = false;
    kestrel.Listen(IPAddress.Loopback, port);
});

var app = builder.Build();
var answer = """{"model_name":"fraud","model_version":"2","outputs":[{"name":"probabilities","datatype":"FP32","shape":[1,2],"data":[0.15593079,0.84406924]},{"name":"label","datatype":"INT64","shape":[1],"data":[1]}]}"""u8.ToArray();

app.MapGet("/v2/health/ready", () => Results.Text("""{"ready":true}""", "application/json"));
app.MapPost("/v2/models/{model}/infer", async (HttpContext context) =>
{
    var body = context.Request.BodyReader;
    ReadResult read;
    while (true)
    {
        read = await body.ReadAsync(context.RequestAborted).ConfigureAwait(false);
        if (read.IsCompleted || read.IsCanceled)
        {
            break;
        }

        body.AdvanceTo(read.Buffer.Start, read.Buffer.End);
    }

    var sum = 0f;
    try
    {
        using var document = JsonDocument.Parse(read.Buffer);
        foreach (var input in document.RootElement.GetProperty("inputs").EnumerateArray())
        {
            foreach (var value in input.GetProperty("data").EnumerateArray())
            {
                sum += value.GetSingle();
            }
        }
    }
    catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
    {
        body.AdvanceTo(read.Buffer.End);
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        return;
    }

    body.AdvanceTo(read.Buffer.End);
    context.Response.StatusCode = float.IsNaN(sum) ? StatusCodes.Status400BadRequest : StatusCodes.Status200OK;
    context.Response.ContentType = "application/json";
    context.Response.ContentLength = answer.Length;
    await context.Response.Body.WriteAsync(answer, context.RequestAborted).ConfigureAwait(false);
});

await app.RunAsync().ConfigureAwait(false);
return 0;
