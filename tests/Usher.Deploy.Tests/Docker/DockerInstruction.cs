namespace Usher.Deploy.Tests.Docker;

/// <summary>One instruction of a Dockerfile: its keyword (upper case), its text, the stage it is in and its line.</summary>
internal sealed record DockerInstruction(string Keyword, string Arguments, string Stage, int Line);
