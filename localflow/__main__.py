from localflow.cli.main import main

main()
