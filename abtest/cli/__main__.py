from abtest.cli import main

main()
