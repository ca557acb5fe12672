from hogfer.cli import main

main()
