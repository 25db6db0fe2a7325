from capi_desktop.cli import main

main()
