using Usher.Server.Frontends.Http;

namespace Usher.Fuzz;

/// <summary>The REST JSON reader (<c>POST /v2/models/m/infer</c> without binary data) on any body.</summary>
internal static class JsonTarget
{
    public static void Run(byte[] body)
    {
        var read = JsonInferenceRequestReader.Read(body, "m", null);
        if (read.IsSuccess)
        {
            Expect.Declared(read.Value);
        }
        else
        {
            Expect.ClientError(read.Error);
        }
    }
}
