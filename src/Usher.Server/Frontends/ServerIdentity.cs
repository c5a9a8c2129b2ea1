using System.Reflection;

namespace Usher.Server.Frontends;

/// <summary>What server metadata says about the server, the same on every frontend.</summary>
internal static class ServerIdentity
{
    /// <summary>The server's name in server metadata.</summary>
    public const string Name = "usher";

    /// <summary>The protocol extensions this server implements, as advertised in server metadata.</summary>
    public static readonly string[] Extensions = ["binary_tensor_data", "model_repository", "parameters"];

    /// <summary>The server's version (the assembly's informational version without the commit).</summary>
    public static readonly string Version =
        (typeof(ServerIdentity).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0").Split('+')[0];
}
